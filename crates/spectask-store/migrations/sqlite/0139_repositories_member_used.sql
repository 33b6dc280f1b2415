-- Once a member owned a repository or could use it, it stays trusted as a member's: what their
-- agents committed stays in its branches after they leave or become administrators.
ALTER TABLE repositories ADD COLUMN member_used INTEGER NOT NULL DEFAULT 0;
UPDATE repositories AS r SET member_used = 1
WHERE (r.owner IS NOT NULL AND r.owner <> 'local'
       AND NOT EXISTS (SELECT 1 FROM users o WHERE o.name = r.owner AND o.role = 'admin'))
   OR EXISTS (SELECT 1 FROM repository_users m WHERE m.repository_id = r.id AND m.user_name <> 'local'
              AND NOT EXISTS (SELECT 1 FROM users a WHERE a.name = m.user_name AND a.role = 'admin'));
