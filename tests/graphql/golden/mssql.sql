-- { fx_orders(where: {_or: [{status: {_eq: "paid"}}, {customer: {name: {_ilike: "%a%"}}}]}, order_by: {total: desc_nulls_last}, limit: 5, offset: 2) { id total customer { name } order_items(order_by: {line_no: asc}, limit: 2) { line_no qty } } }
SELECT anon_1.id, anon_1.total, anon_1.__k0 
FROM (SELECT orders.id AS id, orders.total AS total, orders.id AS __k0, ROW_NUMBER() OVER (ORDER BY CASE WHEN (orders.total IS NULL) THEN %(param_1)s ELSE %(param_2)s END, orders.total DESC, orders.id ASC) AS mssql_rn 
FROM orders 
WHERE orders.status = %(status_1)s OR (EXISTS (SELECT %(param_3)s AS anon_2 
FROM customers AS customers_1 
WHERE customers_1.id = orders.customer_id AND lower(customers_1.name) LIKE lower(%(name_1)s)))) AS anon_1 
WHERE mssql_rn > %(param_4)s AND mssql_rn <= %(param_5)s + %(param_4)s;

-- embed customer
SELECT customers.name AS name, customers.id AS __k0 
FROM customers 
WHERE customers.id IN (__[POSTCOMPILE_id_1]) ORDER BY customers.id ASC;

-- embed order_items
SELECT __w.line_no, __w.qty, __w.__k0 
FROM (SELECT order_items.line_no AS line_no, order_items.qty AS qty, order_items.order_id AS __k0, row_number() OVER (PARTITION BY order_items.order_id ORDER BY order_items.line_no ASC, order_items.order_id ASC) AS __rn 
FROM order_items 
WHERE order_items.order_id IN (__[POSTCOMPILE_order_id_1])) AS __w 
WHERE __w.__rn > %(rn_1)s AND __w.__rn <= %(rn_2)s ORDER BY __w.__k0, __w.__rn;

-- { fx_orders(distinct_on: [customer_id], order_by: [{customer_id: asc}, {total: desc}]) { id customer_id total } }
SELECT orders.id AS id, orders.customer_id AS customer_id, orders.total AS total, orders.id AS __k0 
FROM orders 
WHERE EXISTS (SELECT %(param_1)s AS anon_1 
FROM (SELECT orders_1.id AS k0, row_number() OVER (PARTITION BY orders_1.customer_id ORDER BY orders_1.customer_id ASC, CASE WHEN (orders_1.total IS NULL) THEN %(param_2)s ELSE %(param_3)s END, orders_1.total DESC, orders_1.id ASC) AS rn 
FROM orders AS orders_1) AS anon_2 
WHERE anon_2.k0 = orders.id AND anon_2.rn = %(rn_1)s) ORDER BY orders.customer_id ASC, CASE WHEN (orders.total IS NULL) THEN %(param_4)s ELSE %(param_5)s END, orders.total DESC, orders.id ASC;

-- { fx_orders_aggregate(where: {status: {_neq: "new"}}) { aggregate { count sum { total } avg { total } max { created_at } } } }
SELECT count(*) AS count_1, sum(rows.c0) AS sum_1, avg(CAST(rows.c0 AS FLOAT)) AS avg_1, max(rows.c1) AS max_1 
FROM (SELECT orders.total AS c0, orders.created_at AS c1 
FROM orders 
WHERE orders.status != %(status_1)s) AS rows;

-- { fx_orders(order_by: [{customer: {name: asc}}, {id: desc}], limit: 3) { id } }
SELECT TOP __[POSTCOMPILE_param_1] orders.id AS id, orders.id AS __k0 
FROM orders ORDER BY CASE WHEN ((SELECT TOP __[POSTCOMPILE_param_2] customers_1.name 
FROM customers AS customers_1 
WHERE customers_1.id = orders.customer_id) IS NULL) THEN %(param_3)s ELSE %(param_4)s END, (SELECT TOP __[POSTCOMPILE_param_2] customers_1.name 
FROM customers AS customers_1 
WHERE customers_1.id = orders.customer_id) ASC, orders.id DESC;
