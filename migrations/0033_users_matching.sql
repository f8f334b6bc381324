-- hand-written: the users whose name or address contains a pattern (ILIKE), for a search
-- word's partial match on requesters (src/tickets/tickets.repo.ts matchesParts). Each
-- column is read through its trigram index (migration 0032): the planner prices ILIKE
-- like `=`, so for a few thousand to some tens of thousands of users it chose a
-- sequential scan, 7 to 14 ms per word at 11,000 users where the two indexes take
-- 0.2 to 0.5 ms. A function with its own setting is never inlined, so the setting
-- holds for this lookup alone. Called once per word (a constant argument).
CREATE FUNCTION "users_matching"(pattern text) RETURNS integer[]
  LANGUAGE sql STABLE PARALLEL SAFE
  SET enable_seqscan = off
  AS $$
    select array(
      select id from users where name ilike pattern
      union
      select id from users where email ilike pattern
    )
  $$;
