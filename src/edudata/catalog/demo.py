"""The demo university's data resource catalogue (天津财经大学 示例数据资源目录), as data.

Twelve datasets over the subject areas of Art. 13-18, graded after Art. 52, with the sensitive elements of
Art. 51 marked (民族 → ethnicity, 银行卡号 → financial_account, 消费地点 → whereabouts) and 一数一源 sources:
students' basic data from 学生工作部 (0104), 学籍 from 教务处 (0103), staff from 人事处 (0102), research from
科研处 (0106), assets from 资产管理处 (0108), aid payments and campus cards from 财务处 (0107).
Element codes reuse the JY/T 1006 pinyin field codes; other domains rely on ``student_basic`` and
``staff_basic`` having exactly the elements listed here.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from edudata.catalog.models import Dataset
from edudata.catalog.service import create_dataset


def _e(code: str, name: str, name_en: str, data_type: str = "string", **extra: Any) -> dict[str, Any]:
    return {"code": code, "name": name, "name_en": name_en, "data_type": data_type, **extra}


# In datasets graded 重要数据 the ordinary attributes are 普通数据; only the identifiers and sensitive PI are
# important (and so encrypted at rest, Art. 28): 身份证件号 explicitly, 民族 and 银行卡号 as sensitive PI (Art. 51).
_GENERAL = {"grade": "general"}
_GENDER = {"code_set": "gender"}
_ETHNIC = {"code_set": "ethnic_group", "sensitive": True, "sensitive_type": "ethnicity"}
_CARD = {"sensitive": True, "sensitive_type": "financial_account", "share_category": "none"}

DEMO_CATALOGUE: list[dict[str, Any]] = [
    {
        "code": "school_basic", "name": "学校基本信息", "name_en": "School basic information",
        "description": "学校代码信息（一校一码，第十四条）", "owner_unit_code": "0002", "subject_area": "school",
        "nature": "school", "grade": "public", "share_category": "unconditional", "open_category": "unconditional",
        "update_frequency": "yearly",
        "elements": [
            _e("XXDM", "学校标识码", "School identification code", required=True, max_length=10),
            _e("XXMC", "学校名称", "School name", required=True, max_length=100),
            _e("XXYWMC", "学校英文名称", "School name in English", max_length=200),
            _e("XXDZ", "学校地址", "School address", "address", max_length=200),
            _e("XZQHM", "行政区划码", "Administrative division code", "code", code_set="admin_division"),
            _e("JXNY", "建校年月", "Founded", "date"),
            _e("ZYDZ", "主页地址", "Home page", max_length=200),
        ],
    },
    {
        "code": "unit_info", "name": "单位基本信息", "name_en": "Units of the school",
        "description": "校内二级单位及其代码，教职工、学生数据以此为基础采集（第二十二条）", "owner_unit_code": "0002",
        "subject_area": "school", "nature": "school", "grade": "internal", "share_category": "unconditional",
        "open_category": "none", "update_frequency": "termly",
        "elements": [
            _e("DWDM", "单位代码", "Unit code", required=True, max_length=16),
            _e("DWMC", "单位名称", "Unit name", required=True, max_length=100),
            _e("DWYWMC", "单位英文名称", "Unit name in English", max_length=200),
            _e("DWLB", "单位类别", "Unit type", max_length=32),
            _e("SJDWDM", "上级单位代码", "Parent unit code", max_length=16),
        ],
    },
    {
        "code": "staff_basic", "name": "教职工基本信息", "name_en": "Staff basic information",
        "description": "教职工一人一号（第十五条），人事处为权威来源", "owner_unit_code": "0102", "subject_area": "staff",
        "nature": "staff", "grade": "important", "share_category": "conditional", "open_category": "none",
        "update_frequency": "daily", "unit_element": "DWDM", "subject_element": "SFZJH",
        "elements": [
            _e("GH", "工号", "Staff number", required=True, max_length=12, **_GENERAL),
            _e("XM", "姓名", "Name", "name", required=True, max_length=50, **_GENERAL),
            _e("XBM", "性别码", "Gender code", "code", required=True, **_GENDER, **_GENERAL),
            _e("MZM", "民族码", "Ethnic group code", "code", **_ETHNIC),
            _e("SFZJH", "身份证件号", "ID number", "id_number", required=True, max_length=18, grade="important"),
            _e("CSRQ", "出生日期", "Date of birth", "date", **_GENERAL),
            _e("DWDM", "单位代码", "Unit code", required=True, max_length=16, **_GENERAL),
            _e("ZC", "职称", "Professional title", max_length=32, **_GENERAL),
            _e("RZRQ", "入职日期", "Date of appointment", "date", **_GENERAL),
            _e("SJHM", "手机号码", "Mobile number", "mobile", max_length=11, **_GENERAL),
        ],
    },
    {
        "code": "staff_work", "name": "教职工工作信息", "name_en": "Staff employment information",
        "description": "岗位、职务与薪酬发放账户；工资卡号不予共享", "owner_unit_code": "0102", "subject_area": "staff",
        "nature": "staff", "grade": "important", "share_category": "conditional", "open_category": "none",
        "update_frequency": "monthly", "unit_element": "DWDM", "subject_element": "GH",
        "elements": [
            _e("GH", "工号", "Staff number", required=True, max_length=12, **_GENERAL),
            _e("DWDM", "单位代码", "Unit code", required=True, max_length=16, **_GENERAL),
            _e("GWLB", "岗位类别", "Post category", max_length=32, **_GENERAL),
            _e("ZW", "职务", "Position", max_length=50, **_GENERAL),
            _e("CJGZRQ", "参加工作日期", "Start of working life", "date", **_GENERAL),
            _e("DQZT", "当前状态", "Current status", max_length=16, **_GENERAL),
            _e("YHKH", "工资卡号", "Salary bank card number", "bank_card", max_length=19, **_CARD),
        ],
    },
    {
        "code": "student_basic", "name": "学生基本信息", "name_en": "Student basic information",
        "description": "学生一人一号（第十六条），学生工作部为权威来源；学籍状态的权威来源为教务处",
        "owner_unit_code": "0104", "subject_area": "students", "nature": "students", "grade": "important",
        "share_category": "conditional", "open_category": "none", "update_frequency": "daily",
        "unit_element": "YXDM", "subject_element": "SFZJH",
        "elements": [
            _e("XH", "学号", "Student number", required=True, max_length=12, **_GENERAL),
            _e("XM", "姓名", "Name", "name", required=True, max_length=50, **_GENERAL),
            _e("XBM", "性别码", "Gender code", "code", required=True, **_GENDER, **_GENERAL),
            _e("MZM", "民族码", "Ethnic group code", "code", **_ETHNIC),
            _e("SFZJH", "身份证件号", "ID number", "id_number", required=True, max_length=18, grade="important"),
            _e("CSRQ", "出生日期", "Date of birth", "date", **_GENERAL),
            _e("YXDM", "院系代码", "College (unit code)", required=True, max_length=16, **_GENERAL),
            _e("ZYMC", "专业名称", "Major", max_length=100, **_GENERAL),
            _e("NJ", "年级", "Year of entry", "integer", **_GENERAL),
            _e("SJHM", "手机号码", "Mobile number", "mobile", max_length=11, **_GENERAL),
            _e("YHKH", "银行卡号", "Bank card number", "bank_card", max_length=19, **_CARD),
            _e("DZYX", "电子邮箱", "E-mail", "email", max_length=100, **_GENERAL),
            _e("JTDZ", "家庭地址", "Home address", "address", max_length=200, **_GENERAL),
            _e("XJZT", "学籍状态", "Enrolment status", "code", code_set="student_status", source_unit_code="0103", **_GENERAL),
        ],
    },
    {
        "code": "student_status", "name": "学生学籍信息", "name_en": "Student enrolment records",
        "description": "学籍注册、异动与毕业信息，教务处为权威来源", "owner_unit_code": "0103", "subject_area": "students",
        "nature": "students", "grade": "important", "share_category": "conditional", "open_category": "none",
        "update_frequency": "daily", "unit_element": "YXDM", "subject_element": "XH",
        "elements": [
            _e("XH", "学号", "Student number", required=True, max_length=12, **_GENERAL),
            _e("XM", "姓名", "Name", "name", required=True, max_length=50, **_GENERAL),
            _e("YXDM", "院系代码", "College (unit code)", required=True, max_length=16, **_GENERAL),
            _e("ZYDM", "专业代码", "Major code", max_length=16, **_GENERAL),
            _e("BJ", "班级", "Class", max_length=50, **_GENERAL),
            _e("XZ", "学制", "Length of programme (years)", "decimal", **_GENERAL),
            _e("RXRQ", "入学日期", "Date of enrolment", "date", **_GENERAL),
            _e("YJBYRQ", "预计毕业日期", "Expected graduation", "date", **_GENERAL),
            _e("XJZT", "学籍状态", "Enrolment status", "code", code_set="student_status", required=True, **_GENERAL),
        ],
    },
    {
        "code": "student_aid", "name": "学生资助信息", "name_en": "Student financial aid",
        "description": "奖助学金评定与发放；学生身份信息引用学生工作部的权威数据", "owner_unit_code": "0107",
        "subject_area": "students", "nature": "students", "grade": "important", "share_category": "conditional",
        "open_category": "none", "update_frequency": "termly", "subject_element": "XH",
        "elements": [
            _e("XH", "学号", "Student number", required=True, max_length=12, **_GENERAL),
            _e("XM", "姓名", "Name", "name", max_length=50, **_GENERAL),
            _e("ZZXM", "资助项目", "Aid programme", max_length=100, **_GENERAL),
            _e("ZZND", "资助年度", "Aid year", "integer", **_GENERAL),
            _e("ZZJE", "资助金额", "Amount", "decimal", **_GENERAL),
            _e("FFRQ", "发放日期", "Payment date", "date", **_GENERAL),
            _e("KNDJ", "家庭经济困难等级", "Financial hardship level", max_length=16, sensitive=True,
               sensitive_type="specific_identity"),
            _e("YHKH", "银行卡号", "Bank card number", "bank_card", max_length=19, **_CARD),
        ],
    },
    {
        "code": "course_info", "name": "课程信息", "name_en": "Courses",
        "description": "开课计划与课程基本信息（教学资源，内部公开）", "owner_unit_code": "0103", "subject_area": "teaching",
        "nature": "teaching", "grade": "internal", "share_category": "unconditional", "open_category": "conditional",
        "update_frequency": "termly",
        "elements": [
            _e("KCH", "课程号", "Course number", required=True, max_length=16),
            _e("KCMC", "课程名称", "Course title", required=True, max_length=100),
            _e("KCYWMC", "课程英文名称", "Course title in English", max_length=200),
            _e("XF", "学分", "Credits", "decimal"),
            _e("XS", "学时", "Hours", "integer"),
            _e("KKDWDM", "开课单位代码", "Teaching unit code", max_length=16),
            _e("KCLB", "课程类别", "Course category", max_length=32),
            _e("SKJSGH", "授课教师工号", "Teacher staff number", max_length=12, standard_code="staff.GH"),
        ],
    },
    {
        "code": "research_project", "name": "科研项目", "name_en": "Research projects",
        "description": "纵向、横向科研项目立项与结题（项目立项，内部公开）", "owner_unit_code": "0106",
        "subject_area": "research", "nature": "research", "grade": "internal", "share_category": "unconditional",
        "open_category": "none", "update_frequency": "monthly", "unit_element": "SSDWDM",
        "elements": [
            _e("XMBH", "项目编号", "Project number", required=True, max_length=32),
            _e("XMMC", "项目名称", "Project title", required=True, max_length=200),
            _e("XMLB", "项目类别", "Project category", max_length=32),
            _e("FZRGH", "负责人工号", "Principal investigator staff number", max_length=12, standard_code="staff.GH"),
            _e("LXRQ", "立项日期", "Approval date", "date"),
            _e("JTRQ", "结题日期", "Completion date", "date"),
            _e("HTJF", "合同经费", "Contract funding", "decimal"),
            _e("SSDWDM", "所属单位代码", "Unit code", max_length=16),
        ],
    },
    {
        "code": "research_output", "name": "学术论文", "name_en": "Academic papers",
        "description": "已发表的学术论文（外部公开数据，第五十二条）", "owner_unit_code": "0106", "subject_area": "research",
        "nature": "research", "grade": "public", "share_category": "unconditional", "open_category": "unconditional",
        "update_frequency": "monthly",
        "elements": [
            _e("LWBH", "论文编号", "Paper number", required=True, max_length=32),
            _e("LWTM", "论文题目", "Title", required=True, max_length=300),
            _e("DYZZ", "第一作者", "First author", "name", max_length=50),
            _e("KWMC", "刊物名称", "Journal", max_length=200),
            _e("FBRQ", "发表日期", "Publication date", "date"),
            _e("SSDWDM", "所属单位代码", "Unit code", max_length=16),
        ],
    },
    {
        "code": "asset_equipment", "name": "资产信息", "name_en": "Assets and equipment",
        "description": "固定资产与仪器设备台账（学校资产，普通数据）", "owner_unit_code": "0108", "subject_area": "assets",
        "nature": "assets", "grade": "general", "share_category": "unconditional", "open_category": "none",
        "update_frequency": "monthly", "unit_element": "SYDWDM",
        "elements": [
            _e("ZCBH", "资产编号", "Asset number", required=True, max_length=32),
            _e("ZCMC", "资产名称", "Asset name", required=True, max_length=100),
            _e("ZCFL", "资产分类", "Asset class", max_length=32),
            _e("GZRQ", "购置日期", "Purchase date", "date"),
            _e("YZ", "原值", "Original value", "decimal"),
            _e("SYDWDM", "使用单位代码", "User unit code", max_length=16),
            _e("CFDD", "存放地点", "Location", max_length=100),
            _e("SYZT", "使用状态", "Status", max_length=16),
        ],
    },
    {
        "code": "campus_card", "name": "一卡通消费", "name_en": "Campus card transactions",
        "description": "常态数据：一卡通消费记录（普通数据）；消费地点反映个人行踪，属敏感个人信息",
        "owner_unit_code": "0107", "subject_area": "routine", "nature": "routine", "grade": "general",
        "share_category": "conditional", "open_category": "none", "update_frequency": "realtime",
        "subject_element": "XGH",
        "elements": [
            _e("KH", "卡号", "Card number", required=True, max_length=20),
            _e("XGH", "学工号", "Student or staff number", required=True, max_length=12),
            _e("JYSJ", "交易时间", "Transaction time", max_length=19),
            _e("JYJE", "交易金额", "Amount", "decimal"),
            _e("SHMC", "商户名称", "Merchant", max_length=100),
            _e("ZDWZ", "消费地点", "Terminal location", max_length=100, sensitive=True, sensitive_type="whereabouts"),
        ],
    },
]  # fmt: skip

DEMO_UNIT_CODES = ("0002", "0102", "0103", "0104", "0106", "0107", "0108")


def load_demo_catalogue(session: Session, created_by: str | None = None) -> list[str]:
    """Catalogue the demo datasets through the normal service (every rule applies); datasets already present
    are left alone. The units of ``DEMO_UNIT_CODES`` must exist. Returns the codes added."""
    present = set(session.scalars(select(Dataset.code)))
    added = []
    for entry in DEMO_CATALOGUE:
        if entry["code"] in present:
            continue
        fields = {k: v for k, v in entry.items() if k != "elements"}
        create_dataset(session, **fields, elements=entry["elements"], created_by=created_by)
        added.append(entry["code"])
    return added
