"""Chinese personal names (姓名) and ethnic groups (民族) for synthetic people.

Weights follow the published frequency of the common surnames (王, 李, 张 … each a few per cent, a long tail
below); compound surnames (复姓) are rare but present, because masking must keep both characters of one
(:data:`edudata.access.masking.COMPOUND_SURNAMES`).
"""

from __future__ import annotations

from typing import Final

# Surname → relative frequency (per ten thousand, rounded). Compound surnames at the end.
SURNAMES: Final[dict[str, float]] = {
    "王": 712, "李": 700, "张": 660, "刘": 540, "陈": 460, "杨": 310, "黄": 210, "赵": 200, "吴": 190,
    "周": 180, "徐": 140, "孙": 130, "马": 120, "朱": 120, "胡": 110, "郭": 110, "何": 100, "高": 100,
    "林": 95, "罗": 90, "郑": 80, "梁": 70, "谢": 60, "宋": 60, "唐": 60, "许": 50, "韩": 50, "冯": 50,
    "邓": 50, "曹": 50, "彭": 50, "曾": 45, "肖": 45, "田": 45, "董": 45, "袁": 40, "潘": 40, "于": 40,
    "蒋": 40, "蔡": 40, "余": 40, "杜": 40, "叶": 40, "程": 40, "苏": 30, "魏": 30, "吕": 30, "丁": 30,
    "任": 30, "沈": 30, "姚": 30, "卢": 30, "姜": 30, "崔": 30, "钟": 30, "谭": 30, "陆": 30, "汪": 30,
    "范": 30, "金": 30, "石": 30, "廖": 30, "贾": 30, "夏": 30, "韦": 30, "付": 30, "方": 30, "白": 30,
    "邹": 30, "孟": 30, "熊": 30, "秦": 30, "邱": 30, "江": 30, "尹": 30, "薛": 20, "闫": 20, "段": 20,
    "雷": 20, "侯": 20, "龙": 20, "史": 20, "陶": 20, "黎": 20, "贺": 20, "顾": 20, "毛": 20, "郝": 20,
    "龚": 20, "邵": 20, "万": 20, "钱": 20, "严": 20, "武": 20, "戴": 20, "莫": 15, "孔": 15, "向": 15,
    "汤": 15, "常": 15, "温": 15, "康": 15, "施": 15, "牛": 15, "樊": 12, "葛": 12, "邢": 12, "安": 12,
    "齐": 12, "易": 12, "乔": 12, "伍": 12, "庞": 12, "颜": 12, "倪": 12, "庄": 12, "聂": 12, "章": 12,
    "欧阳": 4, "司马": 1, "上官": 1, "诸葛": 1, "东方": 0.5, "皇甫": 0.5, "令狐": 0.5, "慕容": 0.3,
    "尉迟": 0.3, "公孙": 0.3, "司徒": 0.5, "夏侯": 0.3,
}  # fmt: skip

# Given-name characters by gender; a given name is one character (about a fifth) or two.
GIVEN_MALE: Final[str] = (
    "伟强磊军洋勇杰涛明超刚平辉鹏华飞鑫波斌宇浩凯健俊帆帅旭宁龙林晨阳博文子轩睿泽昊然一航天思嘉梓铭宸逸哲瑞锦"
    "承家豪志成建国峰亮东海振晓宏毅翔彬皓诚"
)
GIVEN_FEMALE: Final[str] = (
    "芳娜敏静丽艳娟霞秀玲婷雪慧莹琳晶颖倩欣怡佳梦雨涵萱琪诗悦思可馨晴彤瑶妍璐薇蕾洁媛月婧甜蓉露丹宁楠一"
    "雅雯茜菲蓓"
)
ONE_CHARACTER_SHARE: Final[float] = 0.2

# GB/T 3304 ethnic-group code → share of the population in per cent (2020 census, rounded); the groups not
# listed (23 高山族, 39-56) share a small remainder, and 97 其他 / 98 外国血统中国籍人士 are rarer still.
_ETHNIC_LISTED: Final[dict[str, float]] = {
    "01": 91.11, "08": 1.39, "05": 0.84, "03": 0.81, "06": 0.78, "11": 0.74, "07": 0.70, "15": 0.68,
    "04": 0.50, "02": 0.45, "09": 0.25, "12": 0.25, "13": 0.24, "14": 0.15, "16": 0.12, "10": 0.12,
    "19": 0.11, "17": 0.11, "18": 0.09, "22": 0.05, "20": 0.05, "26": 0.05, "37": 0.04, "24": 0.04,
    "21": 0.03, "25": 0.03, "27": 0.02, "33": 0.02, "30": 0.02, "32": 0.02, "38": 0.01, "29": 0.01,
    "28": 0.01, "31": 0.01, "35": 0.01, "34": 0.01, "36": 0.01,
}  # fmt: skip
ETHNIC_WEIGHTS: Final[dict[str, float]] = {
    **_ETHNIC_LISTED,
    **{f"{c:02d}": 0.002 for c in [23, *range(39, 57)] if f"{c:02d}" not in _ETHNIC_LISTED},
    "97": 0.001,
    "98": 0.0005,
}
