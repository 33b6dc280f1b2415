-- The last message of a session's turn that ended (`end_turn`) and was not judged yet (the check
-- after it, what it is sent back for): a drive cut off meanwhile judges that turn on its restart
-- instead of prompting the agent again. Written with the turn's end, cleared by the next prompt.
ALTER TABLE work_sessions ADD COLUMN ended_turn TEXT;
