-- A repository's owner: the user who registered it. Its settings (check command, merge policy,
-- default branch, hooks) are changed by the owner and the members the owner adds
-- (repository_users), through an update, never by registering the same path again. A repository
-- registered before owners existed is owned by the first of its users by name.
ALTER TABLE repositories ADD COLUMN owner TEXT;
UPDATE repositories SET owner = (
    SELECT MIN(u.user_name) FROM repository_users u WHERE u.repository_id = repositories.id
);
