namespace Jobs.Console.Tests;

/// <summary>Assertions on what a console page logged.</summary>
public static class ConsoleAssert
{
    /// <summary>The browser's line for a response a test provoked on purpose, such as a 400 from an invalid form.</summary>
    public static string LoadFailed(int status) => $"the server responded with a status of {status}";

    /// <summary>
    /// No console error and no uncaught exception, but for the ones the test provoked: each expected fragment takes away at most
    /// <paramref name="times"/> lines that contain it (a 400 the test caused once is one line). What the page logged before signing in is
    /// not counted (<see cref="ConsolePage.SignInAsync"/> clears it).
    /// </summary>
    public static void NoErrorsBut(ConsolePage console, params (string Fragment, int Times)[] expected)
    {
        var errors = console.Errors.ToList();
        foreach (var (fragment, times) in expected)
        {
            for (var i = 0; i < times; i++)
            {
                var index = errors.FindIndex(e => e.Contains(fragment, StringComparison.Ordinal));
                if (index < 0) break;
                errors.RemoveAt(index);
            }
        }

        Assert.True(errors.Count == 0, "console errors: " + string.Join(" | ", errors));
    }

    public static void NoErrors(ConsolePage console) => NoErrorsBut(console);
}
