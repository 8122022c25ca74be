\set s random(0, :skus - 1)
\set l random(0, :locs - 1)
UPDATE positions SET reserved = reserved + 1 WHERE sku = :s AND location = :l AND on_hand - reserved >= 1;
