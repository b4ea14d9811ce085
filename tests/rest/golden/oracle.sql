-- GET /rest/fx/customers?select=id,name,email&order=name.desc&limit=10&offset=5
SELECT customers.id AS id, customers.name AS name, customers.email AS email, customers.id AS "__k0" 
FROM customers ORDER BY customers.name DESC, customers.id ASC
 OFFSET __[POSTCOMPILE_param_1] ROWS
 FETCH FIRST __[POSTCOMPILE_param_2] ROWS ONLY;

-- count: select=id,name,email&order=name.desc&limit=10&offset=5
SELECT count(*) AS count_1 
FROM customers;

-- GET /rest/fx/orders?select=id,total&status=eq.paid&total=gte.10&order=total.desc.nullslast,id&limit=3
SELECT orders.id AS id, orders.total AS total, orders.id AS "__k0" 
FROM orders 
WHERE orders.status = :status_1 AND orders.total >= :total_1 ORDER BY orders.total DESC NULLS LAST, orders.id ASC
 FETCH FIRST __[POSTCOMPILE_param_1] ROWS ONLY;

-- count: select=id,total&status=eq.paid&total=gte.10&order=total.desc.nullslast,id&limit=3
SELECT count(*) AS count_1 
FROM orders 
WHERE orders.status = :status_1 AND orders.total >= :total_1;

-- GET /rest/fx/orders?select=id&or=(status.eq.new,and(total.gt.100,total.lt.500))&customer_id=in.(1,2,3)
SELECT orders.id AS id, orders.id AS "__k0" 
FROM orders 
WHERE (orders.status = :status_1 OR orders.total > :total_1 AND orders.total < :total_2) AND orders.customer_id IN (__[POSTCOMPILE_customer_id_1]) ORDER BY orders.id ASC
 FETCH FIRST __[POSTCOMPILE_param_1] ROWS ONLY;

-- count: select=id&or=(status.eq.new,and(total.gt.100,total.lt.500))&customer_id=in.(1,2,3)
SELECT count(*) AS count_1 
FROM orders 
WHERE (orders.status = :status_1 OR orders.total > :total_1 AND orders.total < :total_2) AND orders.customer_id IN (__[POSTCOMPILE_customer_id_1]);

-- GET /rest/fx/orders?select=id&total=is.null&status=not.like.p*&created_at=not.is.null
SELECT orders.id AS id, orders.id AS "__k0" 
FROM orders 
WHERE orders.total IS NULL AND orders.status NOT LIKE :status_1 AND orders.created_at IS NOT NULL ORDER BY orders.id ASC
 FETCH FIRST __[POSTCOMPILE_param_1] ROWS ONLY;

-- count: select=id&total=is.null&status=not.like.p*&created_at=not.is.null
SELECT count(*) AS count_1 
FROM orders 
WHERE orders.total IS NULL AND orders.status NOT LIKE :status_1 AND orders.created_at IS NOT NULL;

-- GET /rest/fx/orders?select=id,status&status=ilike.*AID*
SELECT orders.id AS id, orders.status AS status, orders.id AS "__k0" 
FROM orders 
WHERE lower(orders.status) LIKE lower(:status_1) ORDER BY orders.id ASC
 FETCH FIRST __[POSTCOMPILE_param_1] ROWS ONLY;

-- count: select=id,status&status=ilike.*AID*
SELECT count(*) AS count_1 
FROM orders 
WHERE lower(orders.status) LIKE lower(:status_1);

-- GET /rest/fx/orders?select=id,customer(id,name),order_items(line_no,qty,products(sku,name))&limit=2
SELECT orders.id AS id, orders.id AS "__k0" 
FROM orders ORDER BY orders.id ASC
 FETCH FIRST __[POSTCOMPILE_param_1] ROWS ONLY;

-- count: select=id,customer(id,name),order_items(line_no,qty,products(sku,name))&limit=2
SELECT count(*) AS count_1 
FROM orders;

-- embed customer of orders
SELECT customers.id AS id, customers.name AS name, customers.id AS "__k0" 
FROM customers 
WHERE customers.id IN (__[POSTCOMPILE_id_1]) ORDER BY customers.id ASC;

-- embed order_items of orders
SELECT order_items.line_no AS line_no, order_items.qty AS qty, order_items.order_id AS "__k0" 
FROM order_items 
WHERE order_items.order_id IN (__[POSTCOMPILE_order_id_1]) ORDER BY order_items.order_id ASC, order_items.line_no ASC;

-- GET /rest/fx/customers?select=id,name,orders(id,total)&orders.order=total.desc&orders.limit=2
SELECT customers.id AS id, customers.name AS name, customers.id AS "__k0" 
FROM customers ORDER BY customers.id ASC
 FETCH FIRST __[POSTCOMPILE_param_1] ROWS ONLY;

-- count: select=id,name,orders(id,total)&orders.order=total.desc&orders.limit=2
SELECT count(*) AS count_1 
FROM customers;

-- embed orders of customers
SELECT "__w".id, "__w".total, "__w"."__k0" 
FROM (SELECT orders.id AS id, orders.total AS total, orders.customer_id AS "__k0", row_number() OVER (PARTITION BY orders.customer_id ORDER BY orders.total DESC NULLS FIRST, orders.id ASC) AS "__rn" 
FROM orders 
WHERE orders.customer_id IN (__[POSTCOMPILE_customer_id_1])) "__w" 
WHERE "__w"."__rn" > :rn_1 AND "__w"."__rn" <= :rn_2 ORDER BY "__w"."__k0", "__w"."__rn";

-- POST /rest/fx/customers
INSERT INTO customers (email, name) VALUES (:email, :name) RETURNING customers.id INTO :ret_0;

-- POST /rest/fx/customers?on_conflict=email (resolution=merge-duplicates)
MERGE INTO customers tgt USING (SELECT :email AS email, :name AS name FROM dual) src ON (tgt.email = src.email) WHEN MATCHED THEN UPDATE SET name = src.name WHEN NOT MATCHED THEN INSERT (email, name) VALUES (src.email, src.name);

-- POST /rest/fx/customers?on_conflict=email (resolution=ignore-duplicates)
MERGE INTO customers tgt USING (SELECT :email AS email, :name AS name FROM dual) src ON (tgt.email = src.email) WHEN NOT MATCHED THEN INSERT (email, name) VALUES (src.email, src.name);

-- PATCH /rest/fx/customers?email=eq.a@example.com
UPDATE customers SET name=:name WHERE customers.email = :email_1;

-- DELETE /rest/fx/customers?email=eq.a@example.com
DELETE FROM customers WHERE customers.email = :email_1;
