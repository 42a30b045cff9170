using System.Buffers;
using System.Globalization;
using System.Text;

namespace Jobs.Plugins.Movies;

/// <summary>The Wikipedia page chosen for a movie.</summary>
public sealed record PageMatch(MatchRank Rank, string PageTitle, string? Url, string? Abstract);

/// <summary>What one pass over the abstracts found: the best page per selected movie (null: none) and how much was read.</summary>
public sealed record AbstractsScan(IReadOnlyList<PageMatch?> Matches, long Documents, long BytesScanned)
{
    public int Matched => Matches.Count(m => m is not null);
}

/// <summary>
/// One streaming pass over a Wikipedia abstracts dump (<c>&lt;feed&gt;&lt;doc&gt;&lt;title&gt;Wikipedia: …&lt;/title&gt;&lt;url&gt;…
/// &lt;abstract&gt;…&lt;/doc&gt;</c>, compact or pretty-printed). It is a byte scanner, not a general XML parser: it looks for
/// the title of each document with vectorised searches and reads the url and abstract only of documents whose title
/// matches a selected movie. Memory is one buffer (it grows only for an element larger than the buffer), whatever
/// the size of the dump.
/// </summary>
public static class AbstractsScanner
{
    private const string TitlePrefix = "Wikipedia: ";
    private const int MaxBuffer = 64 * 1024 * 1024;
    private const int TailLength = 64;

    private static ReadOnlySpan<byte> TitleOpen => "<title>"u8;
    private static ReadOnlySpan<byte> TitleClose => "</title>"u8;
    private static ReadOnlySpan<byte> DocClose => "</doc>"u8;

    public static AbstractsScan Scan(Stream xml, TitleMatcher matcher, int movieCount, Action<long>? onBlock = null,
        CancellationToken cancellationToken = default, int bufferSize = 1024 * 1024)
    {
        var matches = new PageMatch?[movieCount];
        var hits = new List<(int Index, MatchRank Rank)>();
        Action<int, MatchRank> onHit = (index, rank) => hits.Add((index, rank));
        var buffer = GC.AllocateUninitializedArray<byte>(Math.Max(bufferSize, 4096));
        var chars = ArrayPool<char>.Shared.Rent(4096);
        long documents = 0, consumed = 0;
        try
        {
            int length = 0, position = 0;
            var eof = false;

            // Keeps buffer[from..length) at the start of the buffer (position moves with it) and reads more after it;
            // false at the end of the input.
            bool Refill(int from)
            {
                if (eof) return false;
                cancellationToken.ThrowIfCancellationRequested();
                consumed += from;
                length -= from;
                if (length > 0) Buffer.BlockCopy(buffer, from, buffer, 0, length);
                position -= from;
                if (length == buffer.Length)
                {
                    if (buffer.Length >= MaxBuffer)
                        throw new InvalidDataException($"An element of the abstracts dump is larger than {MaxBuffer / (1024 * 1024)} MiB");
                    var larger = GC.AllocateUninitializedArray<byte>(buffer.Length * 2);
                    Buffer.BlockCopy(buffer, 0, larger, 0, length);
                    buffer = larger;
                }

                var room = buffer.Length - length;
                var read = xml.ReadAtLeast(buffer.AsSpan(length), room, throwOnEndOfStream: false);
                length += read;
                eof = read < room;
                onBlock?.Invoke(consumed + length);
                return read > 0;
            }

            Refill(0);
            while (true)
            {
                var window = buffer.AsSpan(position, length - position);
                var open = window.IndexOf(TitleOpen);
                if (open < 0)
                {
                    // Search on from a possibly cut "<title" at the end; keep the last bytes for the end-of-feed check.
                    position = Math.Max(position, length - TitleOpen.Length + 1);
                    if (!Refill(Math.Min(position, Math.Max(0, length - TailLength)))) break;
                    continue;
                }

                var start = position + open;
                var textStart = start + TitleOpen.Length;
                var close = buffer.AsSpan(textStart, length - textStart).IndexOf(TitleClose);
                if (close < 0)
                {
                    position = start;
                    if (!Refill(start)) break;
                    continue;
                }

                var textEnd = textStart + close;
                var titleBytes = buffer.AsSpan(textStart, textEnd - textStart);
                if (chars.Length < titleBytes.Length)
                {
                    ArrayPool<char>.Shared.Return(chars);
                    chars = ArrayPool<char>.Shared.Rent(titleBytes.Length);
                }

                var title = XmlText.Decode(titleBytes, chars);
                if (title.StartsWith(TitlePrefix, StringComparison.Ordinal)) title = title[TitlePrefix.Length..];
                hits.Clear();
                if (!matcher.Match(title, onHit))
                {
                    documents++;
                    position = textEnd + TitleClose.Length;
                    continue;
                }

                // A match: the url and abstract of this document, up to its end.
                var afterTitle = textEnd + TitleClose.Length;
                var docEnd = buffer.AsSpan(afterTitle, length - afterTitle).IndexOf(DocClose);
                if (docEnd < 0 && !eof)
                {
                    position = start;
                    if (!Refill(start)) break;
                    continue;
                }

                documents++;
                var end = docEnd < 0 ? length : afterTitle + docEnd;
                var doc = buffer.AsSpan(afterTitle, end - afterTitle);
                var pageTitle = title.ToString();
                var url = Element(doc, "url"u8);
                var text = Element(doc, "abstract"u8);
                foreach (var (index, rank) in hits)
                {
                    if (matches[index] is { } known && known.Rank >= rank) continue;
                    matches[index] = new PageMatch(rank, pageTitle, url, text);
                }

                position = end;
            }

            // A gzip stream cut short just ends; a dump that does not close its feed is refused rather than half used.
            if (!buffer.AsSpan(0, length).TrimEnd(" \t\r\n"u8).EndsWith("</feed>"u8))
                throw new InvalidDataException("the dump ends without </feed>: it is cut short, or not an abstracts dump");
            return new AbstractsScan(matches, documents, consumed + length);
        }
        finally
        {
            ArrayPool<char>.Shared.Return(chars);
        }
    }

    /// <summary>The decoded text of the first <c>&lt;name&gt;…&lt;/name&gt;</c> in <paramref name="doc"/>; "" for <c>&lt;name /&gt;</c>, null when absent.</summary>
    private static string? Element(ReadOnlySpan<byte> doc, ReadOnlySpan<byte> name)
    {
        Span<byte> openTag = stackalloc byte[name.Length + 1];
        openTag[0] = (byte)'<';
        name.CopyTo(openTag[1..]);
        var at = 0;
        while (true)
        {
            var found = doc[at..].IndexOf(openTag);
            if (found < 0) return null;
            var after = at + found + openTag.Length;
            if (after >= doc.Length) return null;
            var next = doc[after];
            if (next is (byte)'>' or (byte)' ' or (byte)'/' or (byte)'\t' or (byte)'\n' or (byte)'\r') { at = after; break; }
            at = after; // a longer name with the same start, such as <urlset>
        }

        var gt = doc[at..].IndexOf((byte)'>');
        if (gt < 0) return null;
        if (gt > 0 && doc[at + gt - 1] == (byte)'/') return "";
        var contentStart = at + gt + 1;
        Span<byte> closeTag = stackalloc byte[name.Length + 3];
        "</"u8.CopyTo(closeTag);
        name.CopyTo(closeTag[2..]);
        closeTag[^1] = (byte)'>';
        var close = doc[contentStart..].IndexOf(closeTag);
        if (close < 0) return null;
        var bytes = doc.Slice(contentStart, close);
        var chars = new char[bytes.Length];
        return XmlText.Decode(bytes, chars).Trim().ToString();
    }
}

/// <summary>Decodes UTF-8 XML character data: the five named entities and numeric character references.</summary>
public static class XmlText
{
    /// <summary>Decodes <paramref name="utf8"/> into <paramref name="destination"/> (at least as long) and returns the text.</summary>
    public static ReadOnlySpan<char> Decode(ReadOnlySpan<byte> utf8, Span<char> destination)
    {
        var length = Encoding.UTF8.GetChars(utf8, destination);
        var text = destination[..length];
        var amp = text.IndexOf('&');
        if (amp < 0) return text;

        var write = amp;
        for (var read = amp; read < length;)
        {
            var c = text[read];
            if (c == '&')
            {
                var semi = text[read..].IndexOf(';');
                if (semi > 1 && Entity(text.Slice(read + 1, semi - 1), out var value))
                {
                    if (value <= 0xFFFF)
                    {
                        text[write++] = (char)value;
                    }
                    else
                    {
                        var pair = char.ConvertFromUtf32(value);
                        text[write++] = pair[0];
                        text[write++] = pair[1];
                    }

                    read += semi + 1;
                    continue;
                }
            }

            text[write++] = c;
            read++;
        }

        return text[..write];
    }

    private static bool Entity(ReadOnlySpan<char> name, out int value)
    {
        value = name switch
        {
            "amp" => '&',
            "lt" => '<',
            "gt" => '>',
            "quot" => '"',
            "apos" => '\'',
            _ => -1,
        };
        if (value >= 0) return true;
        if (name.Length < 2 || name[0] != '#') return false;
        var ok = name[1] is 'x' or 'X'
            ? int.TryParse(name[2..], NumberStyles.HexNumber, CultureInfo.InvariantCulture, out value)
            : int.TryParse(name[1..], NumberStyles.None, CultureInfo.InvariantCulture, out value);
        // "&#xD800;"-style references to surrogates or beyond Unicode stay as written.
        return ok && value is > 0 and <= 0x10FFFF and not (>= 0xD800 and <= 0xDFFF);
    }
}
