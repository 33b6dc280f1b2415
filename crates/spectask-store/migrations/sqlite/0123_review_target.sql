-- What a `review` task reviews: a branch, or a commit range `A..B`; NULL for other workflows.
ALTER TABLE spec_tasks ADD COLUMN review_target TEXT;
