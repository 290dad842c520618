"""界别 — sectors and the duty emphasis their category sets (seed, 对策 一.二)."""

from __future__ import annotations

from liaison_shared.contracts.members import SectorCategory

DUTY_EMPHASIS: dict[SectorCategory, str] = {
    "cpc": "侧重聚焦思想政治引领，充分发挥先锋模范作用",
    "parties_groups": "侧重用好党派团体组织化程度高的优势，充分发挥好团结合作和协商议政作用",
    "professional": "重点突出专业优势，发挥好建言资政作用",
    "ethnic_religious": "侧重于团结联谊，增强统战意识，协助党委和政府做好协调关系、凝心聚力工作",
}


def duty_emphasis_of(category: SectorCategory) -> str:
    return DUTY_EMPHASIS[category]
