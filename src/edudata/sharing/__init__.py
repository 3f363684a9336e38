"""Sharing (数据共享, Art. 37-42, 50, 64(2)): applications, commitments, dual approval, grants, delivery.

Importing the package registers its org listener: a grant credential ends when its holder loses the applicant
role, moves to another unit or is disabled (Art. 30), whether the change comes through the app (offboarding
included) or the command line (whose ``edudata`` entry point imports every domain's commands).
"""

from edudata.org.service import on_account_change as _listen
from edudata.sharing.credentials import on_account_change as _end_credentials

_listen(_end_credentials)
