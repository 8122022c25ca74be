\set b random(1, 2000000000)
BEGIN;
WITH new AS (
  INSERT INTO events (source, id, sku, location, quantity)
  SELECT 'wms', :b || '-' || g, (random() * 9999)::int, (random() * 9)::int, 1
  FROM generate_series(1, 1000) g
  ON CONFLICT DO NOTHING
  RETURNING sku, location, quantity)
UPDATE positions p SET on_hand = p.on_hand + n.q
FROM (SELECT sku, location, sum(quantity) AS q FROM new GROUP BY sku, location) n
WHERE p.sku = n.sku AND p.location = n.location;
END;
