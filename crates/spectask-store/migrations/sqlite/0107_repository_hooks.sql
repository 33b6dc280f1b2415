-- Whether tasks' commits run the repository's commit hooks: one policy for every node's clone.
ALTER TABLE repositories ADD COLUMN hooks TEXT NOT NULL DEFAULT 'run';
