-- Helpers the source files (20–39) share: the kommune's number, the tertial calendar, how a typed-in figure
-- names its file, when each file was loaded, and the confidence interval of a survey mean.

-- The kommune this warehouse is for (settings.toml, kept in meta by the load): its four-digit number.
CREATE MACRO kommune_code() AS (SELECT value FROM meta WHERE key = 'kommune_code');

-- A tertial is four months: January–April, May–August, September–December.
CREATE MACRO tertial_start(d) AS make_date(year(d), ((month(d) - 1) // 4) * 4 + 1, 1);
CREATE MACRO tertial_end(d) AS (tertial_start(d) + INTERVAL 4 MONTH - INTERVAL 1 DAY)::DATE;

-- The first day after a period (a period is its first day and its type): what a figure for it covers ends
-- the day before. The reports use it too, so that a report up to a day shows no figure of a later period.
CREATE MACRO period_after(period, period_type) AS (period + CASE period_type
    WHEN 'year' THEN INTERVAL 1 YEAR WHEN 'tertial' THEN INTERVAL 4 MONTH WHEN 'quarter' THEN INTERVAL 3 MONTH
    ELSE INTERVAL 1 MONTH END)::DATE;

-- A figure typed in (an `indikatorverdier` file) names its file as its source: «manuelt registrert (<file>)».
-- `manual_file` gives that file back, or NULL for a figure computed from a source.
CREATE MACRO manual_ref(file) AS 'manuelt registrert (' || file || ')';
CREATE MACRO manual_file(source_ref) AS CASE
    WHEN starts_with(source_ref, 'manuelt registrert (') AND ends_with(source_ref, ')') THEN source_ref[21:-2]
END;

-- The day a loaded file (by content hash) was first loaded: the vintage of the figures it gave. Fixed once the
-- file is loaded, since the load log only grows: a relation that reads it for its own files' hashes changes
-- with those files only, and a load of other files carries it over (warehouse.py: SETTLED).
CREATE MACRO first_loaded(sha) AS (
    SELECT min(loaded_at)::DATE FROM load_log WHERE status = 'loaded' AND sha256 = sha
);

-- The 97.5 % quantile of Student's t with `df` degrees of freedom (a two-sided 95 % interval): exact
-- table values up to 30, then the Cornish–Fisher approximation z + (z³ + z) / (4·df), good to 0.003.
CREATE MACRO t975(df) AS CASE
    WHEN df IS NULL OR df < 1 THEN NULL
    WHEN df <= 30 THEN [12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
                        2.201, 2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086,
                        2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042][df::INTEGER]
    ELSE 1.96 + (1.96 ^ 3 + 1.96) / (4 * df)
END;

-- Half the width of the 95 % confidence interval of a survey mean on the scale 1–`scale_max` from `n`
-- answers: t · s / √n. The spread s is the standard deviation the file gives (`standardavvik`) where
-- known. Where it is not, s is estimated by the range rule of thumb, a quarter of the scale's range
-- (1,0 on 1–5, 1,25 on 1–6): a little above the spreads KS and bedrekommune report (about 0,7–1,0), so
-- the interval errs on the wide side, yet a kommune of some hundred answers gets KS's "±0,1 is noise".
-- No finite-population correction: a unit where nearly everyone answered still gets the full width.
CREATE MACRO survey_ci_half(mean, sd, n, scale_max) AS CASE
    WHEN n IS NULL OR n < 2 OR mean IS NULL THEN NULL
    ELSE t975(n - 1) * coalesce(sd, (scale_max - 1) / 4.0) / sqrt(n)
END;
