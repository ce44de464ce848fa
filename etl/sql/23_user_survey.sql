-- User surveys (brukerundersøkelse): the clean relation and its measures.
--
-- `user_survey`: one row per year × service × unit (null = the kommune) × dimension, each with its own
-- scale (`scale_max`: 6 on bedrekommune.no, 5 in Udir's foreldreundersøkelse). The newest file for a
-- year and service replaces all its rows. Anonymity holds here too: a unit row with fewer answers than
-- the strictest `min_n` of the indicators the source feeds is never in the relation (the loader already
-- held such rows back; this also hides rows loaded before the minimum was raised). `ci_low`/`ci_high`
-- are the 95 % confidence interval of the mean (see survey_ci_half in 15_shared.sql).

CREATE VIEW user_survey AS
WITH minimum AS (
    SELECT coalesce(max(min_n), (SELECT value::INTEGER FROM meta WHERE key = 'min_n')) AS n
    FROM indicators WHERE source = 'brukerundersøkelse'
),
newest AS (
    SELECT * FROM raw_user_survey QUALIFY _seq = max(_seq) OVER (PARTITION BY year, service)
)
SELECT year, service, unit_id, dimension, mean, respondents, coalesce(scale_max, 6) AS scale_max,
       national_mean, sd,
       greatest(mean - survey_ci_half(mean, sd, respondents, coalesce(scale_max, 6)), 1) AS ci_low,
       least(mean + survey_ci_half(mean, sd, respondents, coalesce(scale_max, 6)), coalesce(scale_max, 6)) AS ci_high,
       _sha
FROM newest
WHERE unit_id IS NULL OR respondents >= (SELECT n FROM minimum);

-- Measures: user_survey:<service>/<dimension> (the catalogue's kilde_ref, e.g.
-- user_survey:barnehage/Helhetsvurdering), a mean per unit and for the kommune, per year, with n and
-- its confidence interval. The kommune's value is the file's kommune row. Where a file has none, it is
-- the units' means weighted by their answers, computed only when all units answered on one scale:
-- means on different scales are never averaged.
CREATE VIEW measures_user_survey AS
WITH kommune_rows AS (
    SELECT year, service, dimension, mean, respondents, scale_max, sd FROM user_survey WHERE unit_id IS NULL
),
from_units AS (
    SELECT year, service, dimension, sum(mean * respondents) / sum(respondents) AS mean,
           sum(respondents) AS respondents, any_value(scale_max) AS scale_max, NULL::DOUBLE AS sd
    FROM user_survey u
    WHERE unit_id IS NOT NULL AND NOT EXISTS (
        SELECT 1 FROM kommune_rows k WHERE k.year = u.year AND k.service = u.service AND k.dimension = u.dimension)
    GROUP BY year, service, dimension
    HAVING count(DISTINCT scale_max) = 1
),
rows AS (
    SELECT 'enhet' AS scope, unit_id AS scope_code, year, service, dimension, mean, respondents, scale_max, sd
    FROM user_survey WHERE unit_id IS NOT NULL
    UNION ALL
    SELECT 'kommune', NULL, * FROM kommune_rows
    UNION ALL
    SELECT 'kommune', NULL, * FROM from_units
)
SELECT 'user_survey:' || service || '/' || dimension AS source_ref, scope,
       coalesce(scope_code, (SELECT value FROM meta WHERE key = 'kommune_code')) AS scope_code,
       make_date(year, 1, 1) AS period, 'year' AS period_type, mean AS value, respondents AS n,
       greatest(mean - survey_ci_half(mean, sd, respondents, scale_max), 1) AS ci_low,
       least(mean + survey_ci_half(mean, sd, respondents, scale_max), scale_max) AS ci_high,
       'brukerundersøkelsen ' || year AS vintage
FROM rows;
