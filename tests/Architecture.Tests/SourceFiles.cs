namespace Jobs.Architecture.Tests;

/// <summary>A C# source file of the repository (build output left out), with its text.</summary>
public sealed record SourceFile(string Path, string Relative, string Text)
{
    public override string ToString() => Relative;
}

public static class SourceFiles
{
    /// <summary>Every <c>.cs</c> file under the given top-level folders of the repository, without bin/ and obj/.</summary>
    public static IEnumerable<SourceFile> Under(string root, params string[] folders) =>
        folders.Select(f => Path.Combine(root, f)).Where(Directory.Exists)
            .SelectMany(d => Directory.EnumerateFiles(d, "*.cs", SearchOption.AllDirectories))
            .Where(p => !p.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                        && !p.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal)
            .Select(p => new SourceFile(p, Path.GetRelativePath(root, p), File.ReadAllText(p)));
}
