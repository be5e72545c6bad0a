"""Two blue/green apps behind one bluegreen Proxy. Release api: `pulumi config set apiGreenImage app:2`,
`pulumi config set apiLiveColor green`, `pulumi up`; set apiLiveColor back to blue to roll back."""
import pulumi
import pulumi_bluegreen as bluegreen

config = pulumi.Config()
stack = pulumi.get_stack()
port = config.get_int("publicPort") or 8110

# nginx on a Docker network of its own (Docker objects `<stack>-edge-proxy`, `<stack>-edge-net`).
edge = bluegreen.Proxy(
    f"{stack}-edge",
    public_port=port,
    https_port=port + 3,
    image=config.get("proxyImage") or "nginx:1.28.0",
)


def app(name: str, host: str, preview_port: int) -> bluegreen.App:
    """An app on its own host name: `<stack>-<name>-blue` and `-green`, released by its own config keys."""
    return bluegreen.App(
        f"{stack}-{name}",
        proxy=bluegreen.ProxyRefArgs(urn=edge.urn),
        hosts=[host],
        live_color=config.get(f"{name}LiveColor") or "blue",
        blue_image=config.require(f"{name}BlueImage"),
        green_image=config.require(f"{name}GreenImage"),
        blue_port=preview_port,
        green_port=preview_port + 1,
    )


api = app("api", "api.example.test", port + 1)
web = app("web", "www.example.test", port + 4)

pulumi.export("url", edge.url)
pulumi.export("apiLiveColor", api.live_color)
pulumi.export("apiLiveImage", api.live_image)
pulumi.export("webLiveColor", web.live_color)
pulumi.export("webLiveImage", web.live_image)
