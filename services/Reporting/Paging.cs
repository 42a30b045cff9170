namespace Jobs.Reporting;

/// <summary>The 400 reasons of a page query (<c>page</c> counts from 1, the size is bounded): one per bad parameter, by its name.</summary>
public static class Paging
{
    public static Dictionary<string, string[]> Errors(int page, int pageSize, int maxPageSize, string pageName = "page", string sizeName = "pageSize")
    {
        var errors = new Dictionary<string, string[]>();
        if (page < 1) errors[pageName] = ["must be 1 or more"];
        if (pageSize < 1 || pageSize > maxPageSize) errors[sizeName] = [$"must be between 1 and {maxPageSize}"];
        return errors;
    }
}
