"""The demo university: 天津财经大学 (学校标识码 4112010070), its units, colleges, majors and staff titles.

Other domains seed their units from :data:`UNITS` (organisation, tests, ``edudata demo``), so the list is a
shared contract: each unit is exactly ``{"code", "name", "name_en", "unit_type"}`` and its parent is
:data:`SCHOOL`; codes and types never change once published. Art. 5-12 name the actors: 网信领导小组, 网信办,
数据生产单位, 数据使用单位, 技术支持或服务单位.
"""

from __future__ import annotations

from datetime import date
from typing import Final

# The day the synthetic data describes (autumn term 2025), fixed so a seed gives the same data on any day.
AS_OF: Final = date(2025, 9, 30)

SCHOOL: Final[dict[str, str]] = {
    "code": "4112010070",
    "name": "天津财经大学",
    "name_en": "Tianjin University of Finance and Economics",
    "unit_type": "school",
}
# The school's mail domain (学生邮箱 XH@stu.…) and seat, for generated addresses.
MAIL_DOMAIN: Final = "tjufe.edu.cn"
SCHOOL_ADDRESS: Final = "天津市河西区珠江道25号"


def _unit(code: str, name: str, name_en: str, unit_type: str) -> dict[str, str]:
    return {"code": code, "name": name, "name_en": name_en, "unit_type": unit_type}


UNITS: Final[list[dict[str, str]]] = [
    _unit("0001", "网信领导小组", "Cybersecurity and Informatisation Leading Group", "leadership_group"),
    _unit("0002", "网络安全和信息化办公室（网信办）", "Cybersecurity and Informatisation Office", "office"),
    _unit("0101", "党委办公室", "Party Committee Office", "user"),
    _unit("0102", "人事处", "Human Resources Office", "producer"),
    _unit("0103", "教务处", "Academic Affairs Office", "producer"),
    _unit("0104", "学生工作部", "Student Affairs Department", "producer"),
    _unit("0105", "研究生院", "Graduate School", "producer"),
    _unit("0106", "科研处", "Research Office", "producer"),
    _unit("0107", "财务处", "Finance Office", "producer"),
    _unit("0108", "资产管理处", "Asset Management Office", "producer"),
    _unit("0109", "招生就业处", "Admissions and Careers Office", "producer"),
    _unit("0110", "图书馆", "Library", "user"),
    _unit("0201", "会计学院", "School of Accountancy", "producer"),
    _unit("0202", "金融学院", "School of Finance", "producer"),
    _unit("0203", "经济学院", "School of Economics", "producer"),
    _unit("0204", "商学院", "Business School", "producer"),
    _unit("0205", "管理科学与工程学院", "School of Management Science and Engineering", "producer"),
    _unit("0206", "法学院", "Law School", "producer"),
    _unit("0207", "理工学院", "School of Science and Engineering", "producer"),
    _unit("0208", "人文学院", "School of Humanities", "producer"),
    _unit("0209", "外国语学院", "School of Foreign Studies", "producer"),
    _unit("0210", "统计学院", "School of Statistics", "producer"),
    _unit("0301", "天财数智科技有限公司", "TJUFE Digital Intelligence Technology Co., Ltd.", "support"),
]

UNIT_BY_CODE: Final[dict[str, dict[str, str]]] = {u["code"]: u for u in UNITS}

COLLEGE_CODES: Final[tuple[str, ...]] = tuple(u["code"] for u in UNITS if u["code"].startswith("02"))

# 本科专业 per college, after TJUFE's undergraduate programmes; the first listed is the largest.
MAJORS: Final[dict[str, tuple[str, ...]]] = {
    "0201": ("会计学", "财务管理", "审计学", "资产评估"),
    "0202": ("金融学", "保险学", "金融工程", "投资学", "金融科技"),
    "0203": ("经济学", "国际经济与贸易", "财政学", "税收学", "数字经济"),
    "0204": ("工商管理", "市场营销", "人力资源管理", "旅游管理", "物流管理", "电子商务"),
    "0205": ("信息管理与信息系统", "管理科学", "工程管理", "大数据管理与应用"),
    "0206": ("法学", "知识产权"),
    "0207": ("计算机科学与技术", "软件工程", "数据科学与大数据技术", "数学与应用数学", "人工智能"),
    "0208": ("汉语言文学", "新闻学", "行政管理", "公共事业管理", "社会工作"),
    "0209": ("英语", "商务英语", "日语", "翻译"),
    "0210": ("统计学", "经济统计学", "应用统计学"),
}

# 学籍状态 (code set ``student_status``) with relative frequency: for cohorts still studying, and for cohorts
# whose four years are over (most graduated; a few delayed, suspended or withdrawn).
STATUS_STUDYING: Final[dict[str, float]] = {
    "01": 96.5, "02": 1.5, "03": 0.7, "04": 1.0, "08": 0.1, "09": 0.02, "99": 0.18,
}  # fmt: skip
STATUS_FINISHED: Final[dict[str, float]] = {
    "05": 93.0, "06": 1.5, "07": 1.0, "04": 1.5, "01": 2.0, "02": 0.5, "03": 0.3, "99": 0.2,
}  # fmt: skip

# Relative size of each college's undergraduate intake (a finance and economics university).
COLLEGE_WEIGHTS: Final[dict[str, float]] = {
    "0201": 14,
    "0202": 12,
    "0203": 12,
    "0204": 12,
    "0205": 9,
    "0206": 7,
    "0207": 10,
    "0208": 8,
    "0209": 7,
    "0210": 9,
}

# 专业技术职务 (titles) with relative frequency, for teaching units and for offices.
TEACHING_TITLES: Final[dict[str, float]] = {
    "教授": 14,
    "副教授": 30,
    "讲师": 40,
    "助教": 8,
    "实验师": 3,
    "无": 5,
}
OFFICE_TITLES: Final[dict[str, float]] = {
    "研究员": 2,
    "副研究员": 10,
    "助理研究员": 25,
    "高级会计师": 4,
    "会计师": 8,
    "高级工程师": 5,
    "工程师": 10,
    "副研究馆员": 4,
    "馆员": 8,
    "无": 24,
}

# Courses a college teaches (课程名称); generated courses cycle through these with section suffixes.
COURSES: Final[dict[str, tuple[str, ...]]] = {
    "0201": (
        "基础会计",
        "中级财务会计",
        "高级财务会计",
        "成本会计",
        "管理会计",
        "审计学原理",
        "财务报表分析",
    ),
    "0202": (
        "货币金融学",
        "国际金融",
        "证券投资学",
        "公司金融",
        "金融风险管理",
        "保险学原理",
        "固定收益证券",
    ),
    "0203": ("微观经济学", "宏观经济学", "计量经济学", "财政学", "国际贸易", "发展经济学", "中国税制"),
    "0204": ("管理学", "市场营销学", "组织行为学", "战略管理", "人力资源管理", "消费者行为学", "供应链管理"),
    "0205": ("管理信息系统", "运筹学", "数据库原理", "项目管理", "数据挖掘", "系统分析与设计"),
    "0206": ("法理学", "宪法学", "民法总论", "刑法学", "经济法", "商法", "国际经济法"),
    "0207": ("高等数学", "线性代数", "概率论与数理统计", "数据结构", "程序设计基础", "操作系统", "机器学习"),
    "0208": ("大学语文", "中国古代文学", "新闻采访与写作", "公共管理学", "社会学概论", "应用写作"),
    "0209": ("大学英语", "综合英语", "商务英语写作", "英汉翻译", "基础日语", "跨文化交际"),
    "0210": ("统计学原理", "抽样调查", "多元统计分析", "时间序列分析", "贝叶斯统计", "统计软件应用"),
}

# 科研项目类别 with relative frequency; a project's funding band in yuan (合同经费, low-high).
PROJECT_CATEGORIES: Final[dict[str, tuple[float, int, int]]] = {
    "国家社会科学基金项目": (6, 200_000, 800_000),
    "国家自然科学基金项目": (4, 300_000, 600_000),
    "教育部人文社会科学研究项目": (10, 80_000, 100_000),
    "天津市哲学社会科学规划项目": (18, 30_000, 80_000),
    "天津市自然科学基金项目": (8, 50_000, 150_000),
    "天津市教委科研计划项目": (20, 10_000, 50_000),
    "横向委托项目": (34, 20_000, 1_500_000),
}
PROJECT_TOPICS: Final[tuple[str, ...]] = (
    "数字金融",
    "绿色信贷",
    "地方政府债务",
    "企业数字化转型",
    "京津冀协同发展",
    "碳排放权交易",
    "资本市场开放",
    "审计监督",
    "乡村振兴",
    "平台经济",
    "人口老龄化",
    "跨境电商",
    "自贸试验区",
    "ESG信息披露",
    "家族企业传承",
    "供应链金融",
)
PROJECT_OBJECTS: Final[tuple[str, ...]] = (
    "企业创新",
    "高质量发展",
    "金融风险防范",
    "资源配置效率",
    "居民消费",
    "公司治理",
    "产业结构升级",
    "财政可持续性",
    "就业质量",
    "区域协调发展",
)
PROJECT_FORMS: Final[tuple[str, ...]] = ("对{o}的影响研究", "与{o}关系研究", "驱动{o}的机制与路径研究")

# 资产 (fixed assets): name, category, price band in yuan.
ASSET_KINDS: Final[tuple[tuple[str, str, int, int], ...]] = (
    ("台式计算机", "计算机设备", 4_000, 9_000),
    ("笔记本电脑", "计算机设备", 5_000, 12_000),
    ("服务器", "计算机设备", 30_000, 300_000),
    ("交换机", "网络设备", 3_000, 80_000),
    ("激光打印机", "办公设备", 1_500, 6_000),
    ("投影仪", "办公设备", 3_000, 20_000),
    ("多媒体教学一体机", "教学设备", 10_000, 40_000),
    ("办公桌", "家具", 800, 3_000),
    ("书架", "家具", 600, 2_500),
    ("空调", "通用设备", 3_000, 15_000),
    ("实验室仪器", "专用设备", 5_000, 500_000),
    ("图书", "图书档案", 30, 300),
)
ASSET_STATES: Final[dict[str, float]] = {"在用": 82, "闲置": 6, "待报废": 5, "已报废": 7}
BUILDINGS: Final[tuple[str, ...]] = (
    "第一教学楼",
    "第二教学楼",
    "行政楼",
    "图书馆",
    "实验楼",
    "学术交流中心",
    "体育馆",
    "学生活动中心",
)
