import { describe, expect, it } from 'vitest';
import { csvFormat, toCsv } from './csv';

describe('toCsv', () => {
  it('joins cells with the separator and ends every line with CRLF', () => {
    expect(toCsv([['a', 'b'], [1, 2]])).toBe('a,b\r\n1,2\r\n');
  });

  it('uses ; and the decimal comma for German, , and the point for English', () => {
    expect(csvFormat('de')).toEqual({ separator: ';', decimal: ',' });
    expect(csvFormat('en')).toEqual({ separator: ',', decimal: '.' });
    expect(toCsv([['Anteil', 42.5]], csvFormat('de'))).toBe('Anteil;42,5\r\n');
    expect(toCsv([['Share', 42.5]], csvFormat('en'))).toBe('Share,42.5\r\n');
  });

  it('quotes separators, quotes, line breaks and edge spaces; doubles quotes', () => {
    expect(toCsv([['a,b', 'say "hi"', 'two\nlines', ' pad', 'plain']])).toBe(
      '"a,b","say ""hi""","two\nlines"," pad",plain\r\n',
    );
    // A comma needs no quotes where ';' separates.
    expect(toCsv([['a,b', 'c;d']], csvFormat('de'))).toBe('a,b;"c;d"\r\n');
  });

  it('writes empty cells for null, undefined and non-finite numbers', () => {
    expect(toCsv([[null, undefined, Number.NaN, 0]])).toBe(',,,0\r\n');
  });

  it('never lets a text become a spreadsheet formula', () => {
    expect(toCsv([['=HYPERLINK("x")', '-1', '@sum', -1]])).toBe('"\'=HYPERLINK(""x"")",\'-1,\'@sum,-1\r\n');
  });
});
