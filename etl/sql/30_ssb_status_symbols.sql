-- SSB's standard symbols: what a cell without a (plain) number means. Kept as typed missing values.
CREATE TABLE ssb_status_symbols AS
SELECT * FROM (VALUES
    ('.', 'ikke mulig å oppgi tall'),
    ('..', 'tallgrunnlag mangler'),
    ('...', 'oppgave mangler foreløpig'),
    (':', 'vises ikke av konfidensialitetshensyn'),
    ('-', 'null'),
    ('*', 'foreløpig tall')
) t(symbol, meaning);
