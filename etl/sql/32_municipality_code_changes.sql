-- Klass's list of kommune number changes (old → new number and name, from which date), each change once:
-- the newest load's row wins.
CREATE VIEW municipality_code_changes AS
SELECT old_code, old_name, new_code, new_name, changed_on
FROM raw_klass_changes
QUALIFY row_number() OVER (PARTITION BY old_code, new_code, changed_on ORDER BY _seq DESC) = 1;
