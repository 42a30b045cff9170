using Jobs.Integrations;
using Jobs.ServiceDefaults;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults("integrations").AddIntegrationsServices();

var app = builder.Build();
app.MapDefaultEndpoints();
app.Run();
