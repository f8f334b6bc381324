-- Custom ticket fields: JSONB column + GIN (jsonb_path_ops) vs typed rows + btree (issue 15).
-- Run on a scratch database:  createdb -h 127.0.0.1 -U postgres fields_measure &&
--   psql -h 127.0.0.1 -U postgres -d fields_measure -f bench/fields/measure.sql ; dropdb ... fields_measure
\timing off
set client_min_messages = warning;
create table tickets (
  id integer primary key, status text not null, updated_at timestamptz not null,
  fields jsonb not null default '{}');
create index tickets_status_updated_idx on tickets (status, updated_at, id);
-- 200,000 tickets: 30% open; field 1 ("product", one choice): "common" on 30%, "rare" on 0.1%,
-- others spread; field 2 a number on half; field 3 several choices.
insert into tickets (id, status, updated_at, fields)
select i,
  (array['open','open','open','pending','solved','closed','closed','closed','closed','closed'])[1 + i % 10],
  now() - (i || ' minutes')::interval,
  jsonb_strip_nulls(jsonb_build_object(
    '1', case when i % 1000 = 7 then 'rare' when i % 10 < 3 then 'common' else 'p' || (i % 37) end,
    '2', case when i % 2 = 0 then to_jsonb(i % 500) end,
    '3', to_jsonb(array['x' || (i % 5), 'y' || (i % 7)])))
from generate_series(1, 200000) i;
create index tickets_fields_idx on tickets using gin (fields jsonb_path_ops);

create table ticket_field_values (
  ticket_id integer not null references tickets(id) on delete cascade,
  field_id integer not null, text_value text, number_value numeric, date_value date,
  primary key (ticket_id, field_id, text_value));
insert into ticket_field_values (ticket_id, field_id, text_value)
  select id, 1, fields->>'1' from tickets;
insert into ticket_field_values (ticket_id, field_id, text_value, number_value)
  select id, 2, '', (fields->>'2')::numeric from tickets where fields ? '2';
insert into ticket_field_values (ticket_id, field_id, text_value)
  select id, 3, v from tickets, jsonb_array_elements_text(fields->'3') v;
create index tfv_text_idx on ticket_field_values (field_id, text_value, ticket_id);
create index tfv_number_idx on ticket_field_values (field_id, number_value, ticket_id);
vacuum analyze;

\echo '== JSONB @> common'
explain (analyze, buffers off, costs off, timing on, summary on)
select id from tickets where status = 'open' and fields @> '{"1":"common"}'
 order by updated_at desc, id desc limit 50;
\echo '== JSONB @> rare'
explain (analyze, buffers off, costs off, timing on, summary on)
select id from tickets where status = 'open' and fields @> '{"1":"rare"}'
 order by updated_at desc, id desc limit 50;
\echo '== JSONB @> several-choices element (x1)'
explain (analyze, buffers off, costs off, timing on, summary on)
select id from tickets where status = 'open' and fields @> '{"3":["x1"]}'
 order by updated_at desc, id desc limit 50;
\echo '== rows common'
explain (analyze, buffers off, costs off, timing on, summary on)
select id from tickets where status = 'open' and id in
 (select ticket_id from ticket_field_values where field_id = 1 and text_value = 'common')
 order by updated_at desc, id desc limit 50;
\echo '== rows rare'
explain (analyze, buffers off, costs off, timing on, summary on)
select id from tickets where status = 'open' and id in
 (select ticket_id from ticket_field_values where field_id = 1 and text_value = 'rare')
 order by updated_at desc, id desc limit 50;
\echo '== queue page without a field filter (the yardstick)'
explain (analyze, buffers off, costs off, timing on, summary on)
select id from tickets where status = 'open' order by updated_at desc, id desc limit 50;

\echo '== writes: 2,000 single-ticket field changes each'
\timing on
do $$ begin for i in 1..2000 loop
  update tickets set fields = fields || jsonb_build_object('1', 'w' || i) where id = i * 50;
end loop; end $$;
do $$ begin for i in 1..2000 loop
  insert into ticket_field_values (ticket_id, field_id, text_value) values (i * 50 + 1, 9, 'w' || i)
  on conflict do nothing;
  delete from ticket_field_values where ticket_id = i * 50 + 1 and field_id = 1;
end loop; end $$;
\timing off
select pg_size_pretty(pg_relation_size('tickets_fields_idx')) as gin_size,
       pg_size_pretty(pg_total_relation_size('ticket_field_values')) as rows_total_size;
