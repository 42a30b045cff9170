using Jobs.Plugins.Movies;

namespace Jobs.Integrations.Tests.Movies;

public sealed class CsvRecordReaderTests
{
    private static List<(List<string> Fields, string? Error, long Line)> ReadAll(string csv, int chunk = 1)
    {
        // A reader that hands out a few characters at a time, so every field straddles buffer refills somewhere.
        var reader = new CsvRecordReader(new TrickleReader(csv, chunk));
        var records = new List<(List<string>, string?, long)>();
        var fields = new List<string>();
        while (reader.TryRead(fields, out var error)) records.Add(([.. fields], error, reader.Line));
        return records;
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(4096)]
    public void When_fields_are_quoted_Should_keep_commas_doubled_quotes_and_line_breaks(int chunk)
    {
        var records = ReadAll("id,title,overview\r\n1,\"Heat, the film\",\"He said \"\"go\"\"\nand left\"\n2,Plain,\n", chunk);

        Assert.Equal(3, records.Count);
        Assert.Equal(["1", "Heat, the film", "He said \"go\"\nand left"], records[1].Fields);
        Assert.Equal(["2", "Plain", ""], records[2].Fields);
        Assert.Equal(4L, records[2].Line); // the record before it spans lines 2 and 3
    }

    [Fact]
    public void When_lines_are_empty_Should_skip_them()
    {
        var records = ReadAll("a,b\n\n\r\n1,2\n\n");

        Assert.Equal([["a", "b"], ["1", "2"]], records.Select(r => r.Fields));
    }

    [Fact]
    public void When_the_last_line_has_no_line_break_Should_still_read_it()
    {
        Assert.Equal(["1", "2"], ReadAll("a,b\n1,2").Last().Fields);
    }

    [Fact]
    public void When_a_quoted_field_never_closes_Should_report_it_on_the_record()
    {
        var records = ReadAll("a,b\n1,\"open\n2,3\n");

        Assert.Equal(2, records.Count);
        Assert.Contains("never closed", records[1].Error);
    }

    private sealed class TrickleReader(string text, int chunk) : TextReader
    {
        private int _position;

        public override int Read(char[] buffer, int index, int count)
        {
            var n = Math.Min(Math.Min(count, chunk), text.Length - _position);
            text.CopyTo(_position, buffer, index, n);
            _position += n;
            return n;
        }
    }
}
