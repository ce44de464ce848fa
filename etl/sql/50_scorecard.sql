-- The scorecard: each indicator value with its target, thresholds, status and the previous value.
-- Status rules (domain §6): direction, two tolerances (green, red) from the target in the bad
-- direction, absolute (unit of measure / percentage points) or relative (% of target); grey when
-- there is no value, too few answers or no target. Missing data is never red. The value is compared
-- as shown (rounded to the indicator's decimals), so the colour agrees with the number on the card.

-- per indicator
CREATE TABLE scorecard AS
WITH base AS (
    SELECT v.*, i.name, i.focus_area, i.direction, i.unit_of_measure, i.decimals, i.min_n,
           i.tolerance, i.source, i.frequency, i.noise,
           year(v.period) AS year,
           coalesce(tu.target, tk.target, i.default_target) AS target,
           coalesce(tu.green, tk.green, i.green) AS green_tol,
           coalesce(tu.red, tk.red, i.red) AS red_tol
    FROM indicator_values v
    JOIN indicators i USING (indicator_id)
    LEFT JOIN targets tu ON v.scope = 'enhet' AND tu.indicator_id = v.indicator_id
         AND tu.unit_id = v.scope_code AND tu.year = year(v.period)
    LEFT JOIN targets tk ON tk.indicator_id = v.indicator_id AND tk.unit_id IS NULL
         AND tk.year = year(v.period)
),
limits AS (
    SELECT *,
           -- rounded half away from zero on the decimal digits, exactly as etl.norsk.format_number shows it
           round(value::DECIMAL(38, 10) * (10 ** decimals)::DECIMAL(18, 0))::DOUBLE / 10 ** decimals AS shown,
           CASE WHEN tolerance = 'relativ' THEN abs(target) * green_tol / 100 ELSE green_tol END AS g,
           CASE WHEN tolerance = 'relativ' THEN abs(target) * red_tol / 100 ELSE red_tol END AS r
    FROM base
),
judged AS (
    SELECT *,
        CASE
            WHEN value IS NULL THEN 'grey'
            WHEN n IS NOT NULL AND n < min_n THEN 'grey'
            WHEN target IS NULL THEN 'grey'
            WHEN direction = 'høyere' THEN
                CASE WHEN shown >= target - g - 1e-9 THEN 'green'
                     WHEN shown < target - r - 1e-9 THEN 'red' ELSE 'yellow' END
            WHEN direction = 'lavere' THEN
                CASE WHEN shown <= target + g + 1e-9 THEN 'green'
                     WHEN shown > target + r + 1e-9 THEN 'red' ELSE 'yellow' END
            ELSE
                CASE WHEN abs(shown - target) <= g + 1e-9 THEN 'green'
                     WHEN abs(shown - target) > r + 1e-9 THEN 'red' ELSE 'yellow' END
        END AS status,
        CASE
            WHEN value IS NULL THEN 'ingen data'
            WHEN n IS NOT NULL AND n < min_n THEN 'for få svar'
            WHEN target IS NULL THEN 'mangler mål'
        END AS status_reason
    FROM limits
),
sequenced AS (
    SELECT *,
           lag(value) OVER w AS previous_value,
           lag(period) OVER w AS previous_period,
           greatest(value - ci_low, ci_high - value) AS ci_half,  -- the side the scale's ends did not cut off
           lag(greatest(value - ci_low, ci_high - value)) OVER w AS previous_ci_half
    FROM judged
    WINDOW w AS (PARTITION BY indicator_id, scope, scope_code, period_type ORDER BY period)
),
compared AS (
    -- `same_period_last_year`: seasonal figures (sick leave) are read against the same month, quarter
    -- or tertial a year earlier. `change_noise`: how large a change from the previous value must be to
    -- be real: the catalogue's `støy` (10-FAKTOR: 0,1) or, for survey means, the two 95 % confidence
    -- intervals combined, √(h² + h_prev²) with h half an interval's width (an interval is cut off at the
    -- ends of the scale, so h is its longer side), whichever is larger.
    SELECT s.*, ly.value AS same_period_last_year,
           CASE WHEN s.noise IS NOT NULL OR (s.ci_half IS NOT NULL AND s.previous_ci_half IS NOT NULL) THEN
               greatest(coalesce(s.noise, 0), coalesce(sqrt(s.ci_half ^ 2 + s.previous_ci_half ^ 2), 0))
           END AS change_noise
    FROM sequenced s
    LEFT JOIN judged ly ON ly.indicator_id = s.indicator_id AND ly.scope = s.scope
         AND ly.scope_code = s.scope_code AND ly.period_type = s.period_type
         AND ly.period = (s.period - INTERVAL 1 YEAR)::DATE
)
SELECT indicator_id, name, focus_area, scope, scope_code, period, period_type, year, value, numerator,
       denominator, n, status_symbol, source, source_ref, vintage, comment, direction, unit_of_measure,
       decimals, frequency, target, green_tol AS green, red_tol AS red, tolerance, status, status_reason,
       previous_value, previous_period, same_period_last_year, ci_low, ci_high, change_noise,
       CASE WHEN previous_value IS NOT NULL AND change_noise IS NOT NULL
            THEN abs(value - previous_value) <= change_noise + 1e-9 END AS change_within_noise
FROM compared;

-- The newest value of each indicator for the kommune and each unit it applies to; a grey row with no
-- value where there is no data at all (so a missing figure shows as missing, never disappears). A cell
-- held back for anonymity (`held_back`) that is newer than any value shows as a grey row of its period
-- with the reason (`for få svar`, `skjult av personvernhensyn`) and no value or n; the value before it
-- is its previous value. A table, not a view: every page of the dashboard reads it (twice per callback),
-- and as a view each read would recompute the newest value of every indicator and scope.
-- per indicator
CREATE TABLE scorecard_latest AS
WITH expected AS (
    SELECT indicator_id, 'kommune' AS scope, kommune_code() AS scope_code
    FROM indicators WHERE level IN ('kommune', 'begge')
    UNION ALL
    SELECT indicator_id, 'enhet', unit_id FROM indicator_units
),
held AS (
    SELECT h.indicator_id, h.scope, h.scope_code, h.period, h.period_type, 'grey' AS status,
           h.reason AS status_reason, p.value AS previous_value, p.period AS previous_period,
           i.source || ': ' || h.source_ref AS source_ref, true AS held
    FROM held_back h
    JOIN indicators i USING (indicator_id)
    ASOF LEFT JOIN scorecard p
      ON p.indicator_id = h.indicator_id AND p.scope = h.scope AND p.scope_code = h.scope_code
     AND p.period_type = h.period_type AND h.period > p.period
),
newest AS (
    SELECT * FROM (SELECT *, false AS held FROM scorecard UNION ALL BY NAME SELECT * FROM held)
    QUALIFY row_number() OVER (
        PARTITION BY indicator_id, scope, scope_code ORDER BY period DESC, held, period_type) = 1
)
SELECT e.indicator_id, e.scope, e.scope_code, i.sort_order, i.name, i.focus_area, i.direction, i.unit_of_measure,
       i.decimals,
       i.source, i.frequency, s.period, s.period_type, s.value, s.n, s.target, s.green, s.red, s.tolerance,
       coalesce(s.status, 'grey') AS status, CASE WHEN s.indicator_id IS NULL THEN 'ingen data'
       ELSE s.status_reason END AS status_reason, s.previous_value, s.previous_period, s.vintage, s.source_ref,
       s.same_period_last_year, s.ci_low, s.ci_high, s.change_noise, s.change_within_noise
FROM expected e
JOIN indicators i USING (indicator_id)
LEFT JOIN newest s USING (indicator_id, scope, scope_code)
UNION ALL
-- a scope that has values without being expected (e.g. a unit outside `gjelder`) still shows them
SELECT s.indicator_id, s.scope, s.scope_code, i.sort_order, i.name, i.focus_area, i.direction, i.unit_of_measure,
       i.decimals,
       i.source, i.frequency, s.period, s.period_type, s.value, s.n, s.target, s.green, s.red, s.tolerance,
       s.status, s.status_reason, s.previous_value, s.previous_period, s.vintage, s.source_ref,
       s.same_period_last_year, s.ci_low, s.ci_high, s.change_noise, s.change_within_noise
FROM newest s
JOIN indicators i USING (indicator_id)
WHERE s.scope IN ('kommune', 'enhet') AND NOT EXISTS (
    SELECT 1 FROM expected e WHERE e.indicator_id = s.indicator_id AND e.scope = s.scope
      AND e.scope_code = s.scope_code);
