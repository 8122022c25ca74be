\set s random(0, :skus - 1)
\set l random(0, :locs - 1)
BEGIN;
SELECT on_hand, reserved FROM positions WHERE sku = :s AND location = :l FOR UPDATE;
UPDATE positions SET reserved = reserved + 1 WHERE sku = :s AND location = :l;
END;
