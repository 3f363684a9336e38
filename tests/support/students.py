"""Hand-made valid student rows (real check digits) for data-path tests."""

from __future__ import annotations

from edudata.catalog.validators import id_check_char

PASSWORD = "Passw0rd!edu"


def id_number(seq: int, birth: str = "20030501", region: str = "120101") -> str:
    body = f"{region}{birth}{seq:03d}"
    return body + id_check_char(body)


def student(i: int, college: str = "0201", year: int = 2023) -> dict:
    """A row 学生工作部 (0104) writes: its own elements only, not 学籍状态 (its source is 教务处, Art. 19)."""
    return {
        "XH": f"{year}{college}{i:04d}",
        "XM": ["张伟", "王芳", "欧阳娜娜", "李强"][i % 4],
        "XBM": "1" if i % 2 else "2",
        "MZM": "01",
        "SFZJH": id_number(100 + i),
        "CSRQ": "2003-05-01",
        "YXDM": college,
        "ZYMC": "会计学",
        "NJ": year,
        "SJHM": f"1380013{i:04d}",
        "YHKH": "6222020200112233445",
        "DZYX": f"s{i}@stu.tjufe.edu.cn",
        "JTDZ": "天津市河西区友谊路1号",
    }
