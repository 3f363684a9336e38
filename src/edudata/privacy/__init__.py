"""Personal-information protection (C6; Art. 50-51, 54): the PI register and its thresholds, sensitive PI
(assessment, collective decision, per-person consent), verification without storing, de-identified releases."""
