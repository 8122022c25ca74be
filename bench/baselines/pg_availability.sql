\set s random(0, :skus - 1)
SELECT sum(greatest(on_hand - reserved, 0)) FROM positions WHERE sku = :s;
