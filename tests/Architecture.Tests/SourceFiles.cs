namespace Jobs.Architecture.Tests;

/// <summary>A C# source file of the repository (build output left out), with its text.</summary>
public sealed record SourceFile(string Path, string Relative, string Text)
{
    public override string ToString() => Relative;
}

public static class SourceFiles
{
    /// <summary>Every <c>.cs</c> file under the given top-level folders of the repository, without bin/ and obj/.</summary>
    public static IEnumerable<SourceFile> Under(string root, params string[] folders) => Matching(root, ["*.cs"], folders);

    /// <summary>Every file matching one of <paramref name="patterns"/> (<c>*.cs</c>, <c>*.sql</c>) under the given top-level folders, without bin/ and obj/.</summary>
    public static IEnumerable<SourceFile> Matching(string root, IReadOnlyList<string> patterns, params string[] folders) =>
        folders.Select(f => Path.Combine(root, f)).Where(Directory.Exists)
            .SelectMany(d => patterns.SelectMany(p => Directory.EnumerateFiles(d, p, SearchOption.AllDirectories)))
            .Where(p => !p.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                        && !p.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .Distinct(StringComparer.Ordinal)
            .Order(StringComparer.Ordinal)
            .Select(p => new SourceFile(p, Path.GetRelativePath(root, p), File.ReadAllText(p)));
}
