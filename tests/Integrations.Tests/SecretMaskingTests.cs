using System.Text.Json;
using Jobs.Platforms;

namespace Jobs.Integrations.Tests;

public sealed class SecretMaskingTests
{
    private static readonly PlatformDescriptor Platform = new("p", "P", "d", [
        new SettingDescriptor("login", "string", null, null, false, true, null, null, null),
        new SettingDescriptor("children", "integer", null, null, false, false, null, null, null),
    ]);

    [Fact]
    public void Secret_settings_and_secret_looking_names_at_any_depth_are_masked_and_the_rest_is_kept()
    {
        var settings = JsonSerializer.SerializeToElement(new
        {
            login = "alice",
            children = 3,
            oauth = new { client_id = "public-id", client_secret = "s" },
            sources = new[] { new { host = "db", Password = "p" } },
            access_token = "t",
        });

        var masked = SecretMasking.Apply(settings, Platform);

        Assert.Equal(SecretMasking.Mask, masked.GetProperty("login").GetString());
        Assert.Equal(3, masked.GetProperty("children").GetInt32());
        Assert.Equal("public-id", masked.GetProperty("oauth").GetProperty("client_id").GetString());
        Assert.Equal(SecretMasking.Mask, masked.GetProperty("oauth").GetProperty("client_secret").GetString());
        Assert.Equal("db", masked.GetProperty("sources")[0].GetProperty("host").GetString());
        Assert.Equal(SecretMasking.Mask, masked.GetProperty("sources")[0].GetProperty("Password").GetString());
        Assert.Equal(SecretMasking.Mask, masked.GetProperty("access_token").GetString());
    }

    [Fact]
    public void Without_a_known_platform_only_secret_looking_names_are_masked()
    {
        var settings = JsonSerializer.SerializeToElement(new { login = "alice", api_key = "k" });

        var masked = SecretMasking.Apply(settings, null);

        Assert.Equal("alice", masked.GetProperty("login").GetString());
        Assert.Equal(SecretMasking.Mask, masked.GetProperty("api_key").GetString());
    }
}
