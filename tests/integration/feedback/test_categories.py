"""The category tree as data (issue 21.1): the base tree every unit inherits, a county's own
sub-categories, intake refusing what a unit does not offer, the dispatch catalogue and the figures
by category, and the public form's read — on the real broker and database."""

import uuid

import pytest
import pytest_asyncio
from liaison_tools.testing import eventually, token_for

from .conftest import CITY, DONGFENG, HUINONG, PINGLUO

pytestmark = pytest.mark.integration

# 崇岗镇 and a village of it: units of this module alone, so the figures count its cases only
CHONGGANG, CHONGGANG_VILLAGE = "640221121000", "640221121201"


@pytest_asyncio.fixture(scope="module")
async def place(world, db_pool):
    admin = token_for(world["settings"], "admin", CITY)
    for code, name in [(CHONGGANG, "崇岗镇"), (CHONGGANG_VILLAGE, "长胜村")]:
        created = await world["members"].post("/api/v1/org-units", headers=admin, json={"code": code, "name": name})
        assert created.status_code in (201, 409), created.text

    async def projected():
        return await db_pool.fetchval("SELECT count(*) FROM feedback.org_units WHERE code = ANY($1::text[])",
                                      [CHONGGANG, CHONGGANG_VILLAGE]) == 2

    await eventually(projected, timeout=30)
    return {"town_staff": token_for(world["settings"], "staff", CHONGGANG)}


async def intake(api, category, org_unit=CHONGGANG_VILLAGE):
    return await api.post("/api/v1/opinions", json={
        "content": "村口路灯不亮，晚上出行不便", "org_unit": org_unit, "channel": "online", "category": category})


async def category_of(api, headers, opinion_id) -> str | None:
    found = await api.get(f"/api/v1/opinions/{opinion_id}", headers=headers)
    assert found.status_code == 200, found.text
    return found.json()["category"]


async def test_the_public_form_reads_the_tree_a_unit_offers(world, place):
    api = world["api"]
    offered = await api.get(f"/api/v1/public/categories?org_unit={CHONGGANG_VILLAGE}")  # no token
    assert offered.status_code == 200, offered.text
    by_path = {c["path"]: c for c in offered.json()["items"]}
    assert offered.json()["total"] == len(by_path) >= 40
    lamp = by_path["城乡建设/道路交通/路灯"]
    assert (lamp["code"], lamp["parent"], lamp["name"], lamp["depth"]) == ("010101", "0101", "路灯", 3)
    assert {"水利", "水利/灌溉", "教育", "医疗卫生", "社会保障/养老", "生态环境/噪音", "其他"} <= set(by_path)
    paths = [c["path"] for c in offered.json()["items"]]
    assert paths.index("城乡建设") < paths.index("城乡建设/道路交通") < paths.index("城乡建设/道路交通/路灯")
    assert (await api.get("/api/v1/public/categories?org_unit=640221999000")).status_code == 404
    assert (await api.get("/api/v1/public/categories?org_unit=abc")).status_code == 422


async def test_an_unknown_category_is_refused_naming_the_valid_ones_and_nothing_is_written(world, place, db_pool):
    api = world["api"]

    async def written():
        return (await db_pool.fetchval("SELECT count(*) FROM feedback.opinions WHERE org_unit = $1", CHONGGANG_VILLAGE),
                await db_pool.fetchval("SELECT count(*) FROM feedback.outbox WHERE topic = 'cppcc.feedback.opinion'"))

    before = await written()
    refused = await intake(api, "火星探测")
    assert refused.status_code == 422, refused.text
    error = refused.json()["error"]
    assert error["field"] == "category" and "城乡建设/道路交通/路灯" in error["valid"]
    assert "水利/灌溉" in error["message"] and "火星探测" not in error["message"]
    assert await written() == before

    by_name = await intake(api, "路灯")  # a name only one category has: the case keeps the path
    assert by_name.status_code == 201, by_name.text
    by_path = await intake(api, " 城乡建设 / 道路交通 / 道路 ")
    assert by_path.status_code == 201, by_path.text
    without = await intake(api, None)
    assert without.status_code == 201, without.text
    staff = place["town_staff"]
    assert await category_of(api, staff, by_name.json()["id"]) == "城乡建设/道路交通/路灯"
    assert await category_of(api, staff, by_path.json()["id"]) == "城乡建设/道路交通/道路"
    assert await category_of(api, staff, without.json()["id"]) is None


async def test_a_county_adds_its_own_sub_categories_for_its_units_only(world, place):
    api, county = world["api"], world["county_staff"]
    name = f"渠道清淤{uuid.uuid4().hex[:4]}"
    added = await api.post("/api/v1/categories", headers=county, json={
        "name": name, "parent": "0201", "org_unit": PINGLUO, "description": "支渠、斗渠清淤"})
    assert added.status_code == 201, added.text
    node = added.json()
    assert node["path"] == f"水利/灌溉/{name}" and node["code"].startswith("0201") and len(node["code"]) == 6
    assert (node["org_unit"], node["offered"], node["retired"]) == (PINGLUO, True, False)

    seen = {c["path"] for c in (await api.get(f"/api/v1/public/categories?org_unit={DONGFENG}")).json()["items"]}
    assert node["path"] in seen  # a village of the county inherits it
    sibling = {c["path"] for c in (await api.get(f"/api/v1/public/categories?org_unit={HUINONG}")).json()["items"]}
    assert node["path"] not in sibling and "水利/灌溉" in sibling
    assert (await intake(api, node["path"], org_unit=DONGFENG)).status_code == 201
    assert (await intake(api, node["path"], org_unit=HUINONG)).status_code == 422

    twin = await api.post("/api/v1/categories", headers=county, json={"name": name, "parent": "0201",
                                                                       "org_unit": PINGLUO})
    assert twin.status_code == 409
    city = token_for(world["settings"], "staff", CITY)
    above = await api.post("/api/v1/categories", headers=city, json={"name": name, "parent": "0201"})
    assert above.status_code == 409  # the base tree would give the county two of one path
    assert (await api.post("/api/v1/categories", headers=county, json={
        "name": "县里自定", "parent": "0201"})).status_code == 403  # the base tree is the city's
    assert (await api.post("/api/v1/categories", headers=county, json={
        "name": "县里自定", "parent": "0201", "org_unit": HUINONG})).status_code == 404
    assert (await api.post("/api/v1/categories", headers=county, json={
        "name": "含/斜杠", "parent": "0201", "org_unit": PINGLUO})).status_code == 422
    assert (await api.post("/api/v1/categories", headers=county, json={
        "name": "挂错地方", "parent": "no-such", "org_unit": PINGLUO})).status_code == 422
    department = world["water"]
    assert (await api.post("/api/v1/categories", headers=department, json={
        "name": "承办单位不能加", "org_unit": PINGLUO})).status_code == 403
    assert (await api.post("/api/v1/categories", json={"name": "无令牌", "org_unit": PINGLUO})).status_code == 401


async def test_a_name_with_an_invisible_character_is_refused_and_a_look_alike_is_a_twin(world, place, db_pool):
    """路灯 and 路灯 with a zero-width space read alike on every form: the second would be a twin no one
    can tell apart. A name is NFC-normalised and refused with a control, format or line-separator
    character in it; a name spelt in another normal form is the same name."""
    api, county = world["api"], world["county_staff"]
    tag = uuid.uuid4().hex[:4]
    lamp = await api.post("/api/v1/categories", headers=county, json={
        "name": f"路灯{tag}", "parent": "0101", "org_unit": PINGLUO})
    assert lamp.status_code == 201, lamp.text
    # (a line separator at either end is whitespace, stripped as any: only inside is it a character)
    for hidden, at_the_end in [("\u200b", True), ("\u200d", True), ("\ufeff", True), ("\u00ad", True),
                               ("\u202e", True), ("\x7f", True), ("\u2028", False), ("\u2029", False),
                               ("\x85", False)]:
        for name in [f"路{hidden}灯{tag}", *([f"路灯{tag}{hidden}"] if at_the_end else [])]:
            answer = await api.post("/api/v1/categories", headers=county, json={
                "name": name, "parent": "0101", "org_unit": PINGLUO})
            assert answer.status_code == 422, (hidden, answer.text)
            assert answer.json()["error"]["message"].startswith("name:"), answer.text
        renamed = await api.patch(f"/api/v1/categories/{lamp.json()['code']}", headers=county,
                                  json={"name": f"路{hidden}灯{tag}"})
        assert renamed.status_code == 422, (hidden, renamed.text)

    composed, decomposed = f"Caf\u00e9{tag}", f"Cafe\u0301{tag}"
    first = await api.post("/api/v1/categories", headers=county, json={
        "name": decomposed, "parent": "0101", "org_unit": PINGLUO})
    assert first.status_code == 201, first.text
    assert first.json()["name"] == composed  # kept normalised
    twin = await api.post("/api/v1/categories", headers=county, json={
        "name": composed, "parent": "0101", "org_unit": PINGLUO})
    assert twin.status_code == 409, twin.text
    rename = await api.patch(f"/api/v1/categories/{lamp.json()['code']}", headers=county, json={"name": decomposed})
    assert rename.status_code == 409, rename.text
    # a look-alike kept before names were normalised is a twin too
    await db_pool.execute("INSERT INTO feedback.categories (code, parent, org_unit, name, created_by)"
                          " VALUES ($1, '0101', $2, $3, 'test')", f"T{tag}", PINGLUO, f"Nin\u0303o{tag}")
    legacy = await api.post("/api/v1/categories", headers=county, json={
        "name": f"Ni\u00f1o{tag}", "parent": "0101", "org_unit": PINGLUO})
    assert legacy.status_code == 409, legacy.text
    kept = await db_pool.fetch("SELECT name FROM feedback.categories WHERE name LIKE $1", f"%{tag}")
    assert len(kept) == 3

async def test_rename_moves_the_rules_retire_stops_the_offer_and_cases_keep_their_text(world, place):
    api, county, departments = world["api"], world["county_staff"], world["departments"]
    old, new = f"斗渠{uuid.uuid4().hex[:4]}", f"斗渠改名{uuid.uuid4().hex[:4]}"
    node = (await api.post("/api/v1/categories", headers=county, json={
        "name": old, "parent": "0201", "org_unit": PINGLUO})).json()
    rule = await api.post("/api/v1/dispatch-rules", headers=county, json={
        "category": old, "org_unit": PINGLUO, "lead_department": departments["平罗县水务局"]})
    assert rule.status_code == 201, rule.text
    assert rule.json()["category"] == f"水利/灌溉/{old}"  # a name only one category has names its path
    before = (await intake(api, old, org_unit=DONGFENG)).json()

    renamed = await api.patch(f"/api/v1/categories/{node['code']}", headers=county, json={"name": new})
    assert renamed.status_code == 200, renamed.text
    assert renamed.json()["path"] == f"水利/灌溉/{new}"
    rules = {r["id"]: r for r in (await api.get("/api/v1/dispatch-rules", headers=county)).json()["items"]}
    assert rules[rule.json()["id"]]["category"] == f"水利/灌溉/{new}"
    assert await category_of(api, county, before["id"]) == f"水利/灌溉/{old}"
    after = (await intake(api, new, org_unit=DONGFENG)).json()
    proposal = (await api.get(f"/api/v1/opinions/{after['id']}/dispatch-proposal", headers=county)).json()
    assert proposal["rule_id"] == rule.json()["id"]

    retired = await api.patch(f"/api/v1/categories/{node['code']}", headers=county, json={"retired": True})
    assert retired.status_code == 200 and retired.json()["offered"] is False
    offered = {c["path"] for c in (await api.get(f"/api/v1/public/categories?org_unit={DONGFENG}")).json()["items"]}
    assert f"水利/灌溉/{new}" not in offered
    assert (await intake(api, new, org_unit=DONGFENG)).status_code == 422
    assert await category_of(api, county, after["id"]) == f"水利/灌溉/{new}"
    listed = {c["code"]: c for c in (await api.get(f"/api/v1/categories?org_unit={PINGLUO}",
                                                   headers=county)).json()["items"]}
    assert listed[node["code"]]["retired"] is True
    back = await api.patch(f"/api/v1/categories/{node['code']}", headers=county, json={"retired": False})
    assert back.json()["offered"] is True
    assert (await intake(api, new, org_unit=DONGFENG)).status_code == 201

    town = token_for(world["settings"], "staff", "640221100000")
    assert (await api.patch(f"/api/v1/categories/{node['code']}", headers=town,
                            json={"name": "镇里改县的"})).status_code == 404
    assert (await api.patch("/api/v1/categories/0201", headers=county, json={"name": "县里改市的"})).status_code == 403
    assert (await api.patch(f"/api/v1/categories/{node['code']}", headers=county, json={})).status_code == 422


async def test_the_dispatch_catalogue_follows_the_tree(world, place):
    api, staff, departments = world["api"], place["town_staff"], world["departments"]
    town_rule = await api.post("/api/v1/dispatch-rules", headers=staff, json={
        "category": "生态环境", "org_unit": CHONGGANG, "lead_department": departments["平罗县住建局"]})
    assert town_rule.status_code == 201, town_rule.text
    noise = (await intake(api, "噪音")).json()
    proposal = (await api.get(f"/api/v1/opinions/{noise['id']}/dispatch-proposal", headers=staff)).json()
    assert proposal["rule_id"] == town_rule.json()["id"]  # a rule of the category above covers it
    specific = await api.post("/api/v1/dispatch-rules", headers=staff, json={
        "category": "生态环境/噪音", "org_unit": CHONGGANG, "lead_department": departments["平罗县水务局"]})
    assert specific.status_code == 201, specific.text
    proposal = (await api.get(f"/api/v1/opinions/{noise['id']}/dispatch-proposal", headers=staff)).json()
    assert proposal["lead_department"] == departments["平罗县水务局"]  # its own category's rule wins
    unknown = await api.post("/api/v1/dispatch-rules", headers=staff, json={
        "category": "没有这个类别", "org_unit": CHONGGANG, "lead_department": departments["平罗县水务局"]})
    assert unknown.status_code == 422 and "生态环境/噪音" in unknown.json()["error"]["message"]


async def test_figures_by_category_count_each_path_and_roll_up_to_the_top(world, place, db_pool):
    api = world["api"]
    water = await intake(api, "农村饮水")
    for category in ("道路", "公共交通", "噪音"):
        assert (await intake(api, category)).status_code == 201
    # a case from before the tree keeps its free text and is counted under it
    await db_pool.execute("UPDATE feedback.opinions SET category = '老旧自由文本' WHERE id = $1",
                          uuid.UUID(water.json()["id"]))
    staff = place["town_staff"]

    async def groups(depth=None) -> dict[str, int]:
        query = f"/api/v1/stats?org_unit={CHONGGANG}&group_by=category" + (f"&category_depth={depth}" if depth else "")
        found = await api.get(query, headers=staff)
        assert found.status_code == 200, found.text
        return {g["key"]: g["cases"] for g in found.json()["groups"]}

    full = await groups()
    assert full["老旧自由文本"] == 1 and full["城乡建设/道路交通/公共交通"] == 1
    top = await groups(1)
    assert set(top) >= {"城乡建设", "老旧自由文本", "生态环境"}
    assert top["城乡建设"] == sum(n for key, n in full.items() if key.startswith("城乡建设"))
    assert top["城乡建设"] >= 2 and top["生态环境"] >= 1
    assert await category_of(api, staff, water.json()["id"]) == "老旧自由文本"
