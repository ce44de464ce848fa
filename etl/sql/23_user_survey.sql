-- User surveys (brukerundersøkelse): the clean relation and its measures.
--
-- `user_survey`: one row per year × service × unit (null = the kommune) × dimension, each with its own
-- scale (`scale_max`: 6 on bedrekommune.no, 5 in Udir's foreldreundersøkelse). The newest file for a
-- year and service replaces all its rows. Anonymity holds here too: no cell `anonymity_held` names is in
-- the relation (16_anonymity.sql: a unit with fewer answers than the strictest `min_n` of the indicators
-- the source feeds, the units held back with it so it cannot be worked out from the kommune figure, and
-- markers of cells the loader held back). `ci_low`/`ci_high` are the 95 % confidence interval of the mean
-- (see survey_ci_half in 15_shared.sql).

CREATE VIEW user_survey AS
WITH newest AS (
    SELECT * FROM raw_user_survey QUALIFY _seq = max(_seq) OVER (PARTITION BY year, service)
)
SELECT year, service, unit_id, dimension, mean, respondents, coalesce(scale_max, 6) AS scale_max,
       national_mean, sd,
       greatest(mean - survey_ci_half(mean, sd, respondents, coalesce(scale_max, 6)), 1) AS ci_low,
       least(mean + survey_ci_half(mean, sd, respondents, coalesce(scale_max, 6)), coalesce(scale_max, 6)) AS ci_high,
       _sha
FROM newest s
WHERE s.mean IS NOT NULL  -- a marker: a cell the loader held back
  AND NOT EXISTS (
    SELECT 1 FROM anonymity_held h
    WHERE h.source = 'brukerundersøkelse' AND h.args = [s.service, s.dimension]
      AND h.period = make_date(s.year, 1, 1) AND h.unit_id IS NOT DISTINCT FROM s.unit_id);

-- Measure 'user_survey' with args [service, dimension] (the catalogue's kilde_ref
-- user_survey:<service>/<dimension>, e.g. user_survey:barnehage/Helhetsvurdering; 12_indicators.sql parses
-- it), a mean per unit and for the kommune, per year, with n and its confidence interval. The kommune's value is the file's kommune row; the loader computes one from
-- all the file's unit rows when the file has none (before holding any back). For files loaded before
-- it did, the kommune's value is made here from every stored unit row (also those hidden since), the
-- units' means weighted by their answers, only when all units answered on one scale (means on different
-- scales are never averaged), and never when `anonymity_held` holds it back.
CREATE TABLE measures_user_survey AS
WITH kommune_rows AS (
    SELECT year, service, dimension, mean, respondents, scale_max, sd FROM user_survey WHERE unit_id IS NULL
),
stored AS (
    SELECT * FROM raw_user_survey QUALIFY _seq = max(_seq) OVER (PARTITION BY year, service)
),
from_units AS (
    SELECT year, service, dimension, sum(mean * respondents) / sum(respondents) AS mean,
           sum(respondents) AS respondents, any_value(coalesce(scale_max, 6)) AS scale_max, NULL::DOUBLE AS sd
    FROM stored u
    WHERE unit_id IS NOT NULL AND mean IS NOT NULL AND NOT EXISTS (
        SELECT 1 FROM stored k
        WHERE k.unit_id IS NULL AND k.year = u.year AND k.service = u.service AND k.dimension = u.dimension)
    GROUP BY year, service, dimension
    HAVING count(DISTINCT coalesce(scale_max, 6)) = 1 AND NOT EXISTS (
        SELECT 1 FROM anonymity_held h
        WHERE h.source = 'brukerundersøkelse' AND h.unit_id IS NULL
          AND h.args = [u.service, u.dimension] AND h.period = make_date(u.year, 1, 1))
),
rows AS (
    SELECT 'enhet' AS scope, unit_id AS scope_code, year, service, dimension, mean, respondents, scale_max, sd
    FROM user_survey WHERE unit_id IS NOT NULL
    UNION ALL
    SELECT 'kommune', NULL, * FROM kommune_rows
    UNION ALL
    SELECT 'kommune', NULL, * FROM from_units
)
SELECT 'user_survey' AS measure, [service, dimension] AS args, scope,
       coalesce(scope_code, kommune_code()) AS scope_code,
       make_date(year, 1, 1) AS period, 'year' AS period_type, mean AS value, respondents AS n,
       greatest(mean - survey_ci_half(mean, sd, respondents, scale_max), 1) AS ci_low,
       least(mean + survey_ci_half(mean, sd, respondents, scale_max), scale_max) AS ci_high,
       'brukerundersøkelsen ' || year AS vintage
FROM rows;

-- What the relation covers, for the Data page and Styringshjul (61_source_coverage.sql gathers every coverage_…).
CREATE VIEW coverage_user_survey AS
SELECT 'brukerundersøkelse' AS kind, service AS detail, make_date(min(year), 1, 1) AS covered_from,
       make_date(max(year), 12, 31) AS covered_to, NULL::VARCHAR AS vintage
FROM user_survey GROUP BY service;
