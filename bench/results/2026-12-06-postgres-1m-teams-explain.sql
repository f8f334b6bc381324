-- setup (after npm run bench -- --tickets 1000000 on tessera_bench_teams_1m)
\timing on
INSERT INTO teams (name, assignment) SELECT 'Explain team ' || g, 'fewest_open' FROM generate_series(1, 5) g ON CONFLICT DO NOTHING;
INSERT INTO team_members (team_id, user_id) SELECT t.id, u FROM teams t, generate_series(2, 21) u WHERE t.name LIKE 'Explain team %' AND (u + t.id) % 2 = 0 ON CONFLICT DO NOTHING;
UPDATE teams SET restricted = true WHERE name = 'Explain team 5';
-- A fifth of all tickets in a team (200,000), every active one among them spread the same way.
UPDATE tickets SET team_id = (SELECT min(id) FROM teams WHERE name LIKE 'Explain team %') + (id / 5) % 5 WHERE id % 5 = 0;
VACUUM ANALYZE tickets;
SELECT team_id, count(*) FILTER (WHERE status IN ('new','open','pending')) AS active, count(*) FROM tickets GROUP BY team_id ORDER BY team_id NULLS FIRST;

-- statements
\set t1 '(SELECT min(id) FROM teams WHERE name LIKE ''Explain team %'')'
SELECT min(id) AS t1 FROM teams WHERE name LIKE 'Explain team %' \gset
\echo --- team queue page (queue=team&team=T): active tickets of one team, newest activity first, 51 rows
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) SELECT t.id, t.title, t.status, t.priority, t.updated_at, r.name, a.name, tm.name FROM tickets t JOIN users r ON r.id = t.requester_id LEFT JOIN users a ON a.id = t.assignee_id LEFT JOIN teams tm ON tm.id = t.team_id
 WHERE t.status IN ('new','open','pending') AND t.team_id = :t1 ORDER BY t.updated_at DESC, t.id DESC LIMIT 51;
\echo --- team queue, page 2 (keyset after the 51st row)
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) SELECT t.id FROM tickets t WHERE t.status IN ('new','open','pending') AND t.team_id = :t1 AND (t.updated_at, t.id) < (now() - interval '20 days', 999999999) ORDER BY t.updated_at DESC, t.id DESC LIMIT 51;
\echo --- My teams, unassigned (an agent in two teams)
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) SELECT t.id FROM tickets t WHERE t.status IN ('new','open','pending') AND t.assignee_id IS NULL AND t.team_id IN (:t1, :t1 + 2) ORDER BY t.updated_at DESC, t.id DESC LIMIT 51;
\echo --- count: one team active tickets (capped at 10,001)
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) SELECT count(*)::int FROM (SELECT 1 FROM tickets WHERE status IN ('new','open','pending') AND team_id = :t1 LIMIT 10001) m;
\echo --- count: one team unassigned active tickets
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) SELECT count(*)::int FROM (SELECT 1 FROM tickets WHERE status IN ('new','open','pending') AND team_id = :t1 AND assignee_id IS NULL LIMIT 10001) m;
\echo --- count: My teams, unassigned
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) SELECT count(*)::int FROM (SELECT 1 FROM tickets WHERE status IN ('new','open','pending') AND assignee_id IS NULL AND team_id IN (:t1, :t1 + 2) LIMIT 10001) m;
\echo --- All open queue for an agent outside a restricted team (its tickets left out)
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) SELECT t.id FROM tickets t WHERE t.status IN ('new','open') AND (t.team_id IS NULL OR t.team_id NOT IN (:t1 + 4)) ORDER BY t.updated_at DESC, t.id DESC LIMIT 51;
\echo --- Solved and closed, deep in the list, for that agent
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) SELECT t.id FROM tickets t WHERE t.status IN ('solved','closed') AND (t.team_id IS NULL OR t.team_id NOT IN (:t1 + 4)) AND (t.updated_at, t.id) < (now() - interval '3 years', 999999999) ORDER BY t.updated_at DESC, t.id DESC LIMIT 51;
\echo --- automatic assignment: available members with their open tickets (fewest open, counted up to 1,000)
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) SELECT u.id, u.name, (SELECT count(*)::int FROM (SELECT 1 FROM tickets t WHERE t.assignee_id = u.id AND t.status IN ('new','open','pending') LIMIT 1000) o) FROM team_members m JOIN users u ON u.id = m.user_id WHERE m.team_id = :t1 AND u.disabled = false AND u.away = false AND u.role IN ('agent','admin') ORDER BY u.id;
\echo --- restricted teams hidden from an agent
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) SELECT id FROM teams WHERE restricted = true AND id NOT IN (SELECT team_id FROM team_members WHERE user_id = 3);
