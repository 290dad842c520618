-- migrate:up
-- 问题分类: the category tree as data. A case's `category` stays text — the node's path of names
-- (城乡建设/道路交通/路灯) at the time it came in — so a case from before this migration, or one
-- whose node was renamed or retired since, keeps what it said.
--
-- A node with no `org_unit` belongs to the base tree every unit inherits (city staff keep it);
-- one with an `org_unit` was added by that unit, for it and the units under it (a county's own
-- sub-categories under the city's). A retired node is no longer offered, nor anything under it.
CREATE TABLE categories (
    code        text PRIMARY KEY CHECK (code ~ '^[0-9A-Za-z._-]{1,32}$'),  -- Open311's service_code
    parent      text REFERENCES categories (code),
    name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 30 AND position('/' IN name) = 0),
    org_unit    text,
    description text,
    retired_at  timestamptz,
    created_by  text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX categories_sibling_names ON categories (coalesce(parent, ''), coalesce(org_unit, ''), name);
CREATE INDEX categories_org_unit ON categories (org_unit);

-- The base tree, after the headings of the 12345 hotlines' classifications (codes two digits a level).
INSERT INTO categories (code, parent, name, description, created_by) VALUES
    ('01', NULL, '城乡建设', '道路、市政设施、住房与村容村貌', 'migration'),
    ('0101', '01', '道路交通', '道路、路灯、公共交通', 'migration'),
    ('010101', '0101', '路灯', '路灯不亮、损坏、缺失', 'migration'),
    ('010102', '0101', '道路', '路面破损、积水、道路修建', 'migration'),
    ('010103', '0101', '公共交通', '公交线路、站点、班次', 'migration'),
    ('0102', '01', '市政', '供水、排水、燃气、供暖', 'migration'),
    ('010201', '0102', '供水', NULL, 'migration'),
    ('010202', '0102', '排水', NULL, 'migration'),
    ('010203', '0102', '燃气', NULL, 'migration'),
    ('010204', '0102', '供暖', NULL, 'migration'),
    ('0103', '01', '住房', '物业、危房改造', 'migration'),
    ('010301', '0103', '物业', NULL, 'migration'),
    ('010302', '0103', '农村危房', NULL, 'migration'),
    ('0104', '01', '环境卫生', '垃圾清运、公厕、村容村貌', 'migration'),
    ('02', NULL, '水利', '灌溉、防汛、农村饮水', 'migration'),
    ('0201', '02', '灌溉', '渠道清淤、春灌冬灌', 'migration'),
    ('0202', '02', '防汛', NULL, 'migration'),
    ('0203', '02', '农村饮水', NULL, 'migration'),
    ('03', NULL, '教育', '学校、师资、入学', 'migration'),
    ('0301', '03', '学前教育', NULL, 'migration'),
    ('0302', '03', '义务教育', NULL, 'migration'),
    ('04', NULL, '医疗卫生', '看病就医、村卫生室、公共卫生', 'migration'),
    ('0401', '04', '村卫生室', NULL, 'migration'),
    ('0402', '04', '公共卫生', NULL, 'migration'),
    ('05', NULL, '社会保障', '养老、医保、就业、救助', 'migration'),
    ('0501', '05', '养老', NULL, 'migration'),
    ('0502', '05', '医疗保险', NULL, 'migration'),
    ('0503', '05', '就业', NULL, 'migration'),
    ('0504', '05', '低保救助', NULL, 'migration'),
    ('06', NULL, '生态环境', '噪音、大气、水体污染', 'migration'),
    ('0601', '06', '噪音', NULL, 'migration'),
    ('0602', '06', '大气污染', NULL, 'migration'),
    ('0603', '06', '水污染', NULL, 'migration'),
    ('07', NULL, '农业农村', '土地、农业生产、村务', 'migration'),
    ('0701', '07', '土地', '承包地、宅基地', 'migration'),
    ('0702', '07', '农业生产', NULL, 'migration'),
    ('0703', '07', '村务', '村务公开、村级事务', 'migration'),
    ('08', NULL, '市场监管', '食品安全、价格', 'migration'),
    ('0801', '08', '食品安全', NULL, 'migration'),
    ('0802', '08', '价格', NULL, 'migration'),
    ('99', NULL, '其他', '不属于以上类别', 'migration');

-- The dispatch catalogue keyed a rule by the free text of its day ("道路交通"): a rule whose text
-- is the name of exactly one node now keys that node's path, unless the unit has that rule already.
-- Other rules keep their text and still match cases that carry it.
WITH RECURSIVE tree AS (
    SELECT code, name, name AS path FROM categories WHERE parent IS NULL
    UNION ALL
    SELECT c.code, c.name, t.path || '/' || c.name FROM categories c JOIN tree t ON c.parent = t.code
), named_once AS (
    SELECT name, min(path) AS path FROM tree GROUP BY name HAVING count(*) = 1
)
UPDATE dispatch_rules r SET category = n.path
FROM named_once n
WHERE r.category = n.name AND n.path <> n.name
  AND NOT EXISTS (SELECT 1 FROM dispatch_rules o WHERE o.org_unit = r.org_unit AND o.category = n.path);

-- migrate:down
DROP TABLE categories;
