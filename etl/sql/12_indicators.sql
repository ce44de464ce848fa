-- Clean relation: the newest file wins per scope (spec `scope`), older rows of that scope drop out.
-- `_seq` orders loads: a higher number is a later file.
--
-- The catalogue's `kilde_ref` is parsed here, once, into the parts the measures are matched by
-- (40_indicator_values.sql compares parts, never texts glued together; letter case is ignored):
--   KOSTRA (kilde = KOSTRA)  <table>/<contents>[:<dim>=<code>,…]  ref_args = [table, contents, 'dim=code', …]
--   every other source       <measure>:<arg>[/<arg>]              ref_measure = measure, ref_args = [arg, arg]
-- The second argument is the rest of the text, so it may hold a '/' itself (a survey dimension's name).
-- A fixed measure (e.g. `sick_leave:total`) is matched by its whole name, `source_ref`; a parameterised
-- one (`user_survey:<service>/<dimension>`, `employee_survey:<factor>`) by `ref_measure` and `ref_args`.

CREATE TABLE indicators AS
SELECT indicator_id, name, focus_area, direction, unit_of_measure, source, source_ref, description, formula,
       CASE WHEN source <> 'KOSTRA' THEN lower(split_part(source_ref, ':', 1)) END AS ref_measure,
       CASE WHEN source = 'KOSTRA' THEN
                [lower(split_part(source_ref, '/', 1)),
                 lower(regexp_extract(source_ref, '^[^/]*/([^:]*)', 1))]
                || CASE WHEN contains(source_ref, ':')
                        THEN string_split(lower(substr(source_ref, strpos(source_ref, ':') + 1)), ',')
                        ELSE [] END
            WHEN contains(source_ref, ':') THEN
                CASE WHEN contains(ref_rest, '/')
                     THEN [lower(substr(ref_rest, 1, strpos(ref_rest, '/') - 1)),
                           lower(substr(ref_rest, strpos(ref_rest, '/') + 1))]
                     ELSE [lower(ref_rest)] END
            ELSE [] END AS ref_args,
       _row AS sort_order,  -- the row in the catalogue file: panels follow the balansehåndbok's order
       coalesce(decimals, 1)::INTEGER AS decimals,
       coalesce(level, 'begge') AS level,
       applies_to,
       -- the settings' min_n is a floor: a catalogue row can raise an indicator's minimum, never lower it
       greatest(coalesce(min_n, 0), (SELECT value::INTEGER FROM meta WHERE key = 'min_n'))::INTEGER AS min_n,
       comparison, owner, default_target,
       coalesce(green, 0) AS green,
       coalesce(red, green, 0) AS red,
       coalesce(tolerance, CASE WHEN unit_of_measure IN ('kr', '1000 kr') THEN 'relativ' ELSE 'absolutt' END)
           AS tolerance,
       coalesce(frequency, 'år') AS frequency,
       noise,
       valid_from, valid_to
FROM (SELECT *, substr(source_ref, strpos(source_ref, ':') + 1) AS ref_rest FROM raw_indicators)
QUALIFY _seq = max(_seq) OVER (PARTITION BY indicator_id);
