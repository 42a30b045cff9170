using System.Text;

namespace Jobs.Plugins.Movies;

/// <summary>
/// Reads RFC 4180 records one at a time from a stream of text: quoted fields may hold commas, doubled quotes
/// and line breaks. Holds one record at a time, whatever the size of the input.
/// </summary>
public sealed class CsvRecordReader(TextReader reader)
{
    private readonly char[] _buffer = new char[64 * 1024];
    private readonly StringBuilder _field = new();
    private int _position, _length;
    private bool _eof;

    /// <summary>The line (1-based) the last record read started on.</summary>
    public long Line { get; private set; }

    private long _nextLine = 1;

    /// <summary>
    /// Reads the next record into <paramref name="fields"/>. Returns false at the end of the input. A quoted field
    /// still open at the end of the input is returned with <paramref name="error"/> set. Empty lines are skipped.
    /// </summary>
    public bool TryRead(List<string> fields, out string? error)
    {
        fields.Clear();
        error = null;
        while (true)
        {
            if (!Fill()) return false;
            var c = _buffer[_position];
            if (c is '\r' or '\n')
            {
                ConsumeNewline();
                continue;
            }

            break;
        }

        Line = _nextLine;
        while (true)
        {
            _field.Clear();
            var quoted = Fill() && _buffer[_position] == '"';
            if (quoted)
            {
                _position++;
                if (!ReadQuoted())
                {
                    fields.Add(_field.ToString());
                    error = $"a quoted field opened on line {Line} is never closed";
                    return true;
                }
            }

            // Unquoted part (or what follows a closing quote, kept as written) up to the delimiter or line end.
            var end = ReadUnquoted();
            fields.Add(_field.ToString());
            if (end != ',') return true;
        }
    }

    /// <summary>Reads up to the closing quote; false when the input ends first.</summary>
    private bool ReadQuoted()
    {
        while (Fill())
        {
            var span = _buffer.AsSpan(_position, _length - _position);
            var quote = span.IndexOf('"');
            var chunk = quote < 0 ? span : span[..quote];
            _field.Append(chunk);
            _nextLine += chunk.Count('\n');
            _position += chunk.Length;
            if (quote < 0) continue;

            _position++; // the quote
            if (Fill() && _buffer[_position] == '"')
            {
                _field.Append('"');
                _position++;
                continue;
            }

            return true;
        }

        return false;
    }

    /// <summary>Reads to a comma (consumed, returned) or a line end / end of input (consumed, returns '\n').</summary>
    private char ReadUnquoted()
    {
        while (Fill())
        {
            var span = _buffer.AsSpan(_position, _length - _position);
            var stop = span.IndexOfAny(',', '\r', '\n');
            if (stop < 0)
            {
                _field.Append(span);
                _position = _length;
                continue;
            }

            _field.Append(span[..stop]);
            _position += stop;
            if (span[stop] == ',')
            {
                _position++;
                return ',';
            }

            ConsumeNewline();
            return '\n';
        }

        return '\n';
    }

    private void ConsumeNewline()
    {
        if (_buffer[_position] == '\r')
        {
            _position++;
            if (Fill() && _buffer[_position] == '\n') _position++;
        }
        else
        {
            _position++;
        }

        _nextLine++;
    }

    private bool Fill()
    {
        if (_position < _length) return true;
        if (_eof) return false;
        _length = reader.Read(_buffer, 0, _buffer.Length);
        _position = 0;
        if (_length > 0) return true;
        _eof = true;
        return false;
    }
}
