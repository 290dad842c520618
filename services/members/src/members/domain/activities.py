"""履职活动 — the liaison activities a member can log (docs/domain.md, "The registry")."""

from __future__ import annotations

ACTIVITY_TYPES: dict[str, str] = {
    "visit": "定期走访",
    "pairing": "结对联系",
    "seminar": "座谈交流",
    "research_inspection": "调研视察",
    "lecture": "委员讲堂",
    "reception_day": "委员接待日",
    "public_service": "公益服务（法律援助、政策咨询、技术指导、支教助学、送医下乡）",
    "themed_campaign": "主题活动（百名委员入百企进万家、我为群众办一事、委员送温暖）",
    "training": "培训学习（委员讲、委员学、委员议）",
    "open_day": "开放日（让群众走进政协）",
}

VENUE_KINDS: dict[str, str] = {
    "sector_studio": "界别委员工作室",
    "reception_room": "委员会客室",
    "contact_point": "基层联系点",
    "deliberation_hall": "协商议事厅",
}
