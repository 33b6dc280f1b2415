-- Each turn's entry now holds its own part of the cost its agent reports (a running total per
-- thread), and `session_usage.cost_micros` is the running total at the last turn's end that the
-- next turn's part is counted from. Before, the last report stood for the session's whole cost in
-- place of its priced entries: it becomes one entry of its own, and those entries cost nothing more,
-- so every total stays what it was.
UPDATE usage_entries SET cost_micros = 0, currency = (
    SELECT s.currency FROM session_usage s WHERE s.work_session_id = usage_entries.work_session_id)
WHERE work_session_id IN (SELECT work_session_id FROM session_usage WHERE cost_micros IS NOT NULL);
INSERT INTO usage_entries (id, spec_task_id, work_session_id, model, input_tokens, output_tokens,
                           cached_tokens, cost_micros, currency, at)
SELECT 'reported-' || s.work_session_id, s.spec_task_id, s.work_session_id, NULL, 0, 0, 0,
       s.cost_micros, s.currency,
       COALESCE((SELECT MAX(u.at) FROM usage_entries u WHERE u.work_session_id = s.work_session_id), 0)
FROM session_usage s WHERE s.cost_micros IS NOT NULL;
