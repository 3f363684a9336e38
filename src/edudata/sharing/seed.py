"""The first version of the use commitment (附件2) and the default sharing policy, seeded once."""

from __future__ import annotations

import hashlib

from sqlalchemy import select
from sqlalchemy.orm import Session

from edudata.sharing.models import CommitmentText, SharingPolicy

COMMITMENT_V1_TITLE = "数据使用承诺书（附件2）"
COMMITMENT_V1 = """本单位申请使用学校共享数据，现郑重承诺：
一、仅将所获数据用于申请表所列用途和业务依据，不超范围、超期限使用（第三十八条、第四十一条）；
二、不以任何形式向第三方提供、转让或公开所获数据；确需委托第三方分析的，仅使用去标识化数据（第四十二条）；
三、落实申请表所列安全保护措施，所获数据仅在学校数据平台授权范围内通过接口或导出获取，不直接向数据生产单位索取（第四十条）；
四、按最小必要原则使用个人信息，不尝试重新识别个人身份；
五、使用期限届满或授权撤销后，立即停止使用并删除所获数据及其副本；
六、发生数据泄露等安全事件，立即报告网信办并配合处置；
七、违反本承诺的，依照《教育数据管理办法》和有关法律法规承担责任（第六十四条至第六十七条）。"""


def text_hash(title: str, body: str) -> str:
    """SHA-256 of the commitment as signed (title, a newline, body), so a signature proves which words."""
    return hashlib.sha256(f"{title}\n{body}".encode()).hexdigest()


def seed(session: Session) -> None:
    if session.execute(select(CommitmentText.id).limit(1)).first() is None:
        session.add(
            CommitmentText(
                version="v1",
                title=COMMITMENT_V1_TITLE,
                body=COMMITMENT_V1,
                body_sha256=text_hash(COMMITMENT_V1_TITLE, COMMITMENT_V1),
                created_by="seed",
            )
        )
    if session.get(SharingPolicy, 1) is None:
        session.add(SharingPolicy(id=1))
    session.flush()
