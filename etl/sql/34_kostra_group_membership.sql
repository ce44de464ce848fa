-- Which KOSTRA group (Klass 112) a kommune belongs to, from when to when: spans that never overlap, are never
-- empty, and follow each other without a gap wherever Klass's answers cover the time between them.
-- Each correspondsAt answer (one per year) says "on this date, kommune k is in group g", with Klass's own
-- validFrom/validTo when it gives them (it does: every yearly answer repeats the same 2020-01-01 → open
-- span), otherwise from the answer's date (the earliest answer: since before it) until a later answer
-- says otherwise. The dates where any statement starts or ends cut time into pieces; each piece takes the
-- group of the statement covering it that started last (then the newest answer), and neighbouring pieces
-- with the same group are joined. So the same span repeated by every yearly answer is one span, and an
-- answer fetched before a change does not outlast the change.
-- A table (made again only when Klass's answers change): the KOSTRA comparison's statements read it often.
CREATE TABLE kostra_group_membership AS
WITH said AS (
    SELECT source_code AS code, target_code AS kostra_group, target_name AS kostra_group_name, as_of, _seq,
           coalesce(valid_from, CASE WHEN as_of > min(as_of) OVER (PARTITION BY source_code) THEN as_of END)
               AS starts,
           valid_to AS ends
    FROM raw_klass_correspondence
    WHERE target_classification = '112' AND source_code IS NOT NULL AND target_code IS NOT NULL
),
statements AS (  -- a statement that ends before it starts says nothing
    SELECT * FROM said WHERE starts IS NULL OR ends IS NULL OR starts < ends
),
cuts AS (
    SELECT code, starts AS cut FROM statements WHERE starts IS NOT NULL
    UNION
    SELECT code, ends FROM statements WHERE ends IS NOT NULL
),
pieces AS (  -- from one cut to the next; before the first and after the last open-ended
    SELECT code, lag(cut) OVER (PARTITION BY code ORDER BY cut) AS lo, cut AS hi FROM cuts
    UNION ALL
    SELECT code, max(cut), NULL FROM cuts GROUP BY code
    UNION ALL
    SELECT code, NULL, NULL FROM statements GROUP BY code HAVING count(starts) = 0 AND count(ends) = 0
),
covered AS (
    SELECT p.code, p.lo, p.hi, s.kostra_group, s.kostra_group_name, s.as_of
    FROM pieces p
    JOIN statements s ON s.code = p.code
     AND (s.starts IS NULL OR s.starts <= p.lo)
     AND (s.ends IS NULL OR p.hi <= s.ends)
    QUALIFY row_number() OVER (
        PARTITION BY p.code, p.lo, p.hi ORDER BY s.starts DESC NULLS LAST, s.as_of DESC NULLS LAST, s._seq DESC) = 1
),
joined AS (  -- a new span where the group changes or a piece does not follow the one before
    SELECT *, sum(CASE WHEN kostra_group IS DISTINCT FROM before_group OR before_hi IS DISTINCT FROM lo
                       THEN 1 ELSE 0 END) OVER (PARTITION BY code ORDER BY lo NULLS FIRST) AS span
    FROM (
        SELECT *, lag(kostra_group) OVER w AS before_group, lag(hi) OVER w AS before_hi
        FROM covered
        WINDOW w AS (PARTITION BY code ORDER BY lo NULLS FIRST)
    )
)
SELECT code, any_value(kostra_group) AS kostra_group,
       arg_max(kostra_group_name, coalesce(as_of, DATE '0001-01-01')) AS kostra_group_name,
       CASE WHEN count(lo) = count(*) THEN min(lo) END AS valid_from,
       CASE WHEN count(hi) = count(*) THEN max(hi) END AS valid_to
FROM joined
GROUP BY code, span;
