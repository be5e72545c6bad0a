// bluegreen from a Pulumi Go program: one Proxy and two Apps (api and web, by host name), each
// released on its own config keys. The SDK is generated into sdks/go (docs/languages.md); deploying
// needs Pulumi's Go language host, which a standard Pulumi install ships.
package main

import (
	"fmt"

	"example.com/pulumi-bluegreen/sdk/go/bluegreen"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/config"
)

func main() {
	pulumi.Run(func(ctx *pulumi.Context) error {
		cfg := config.New(ctx, "")
		stack := ctx.Stack()
		port := cfg.GetInt("publicPort")
		if port == 0 {
			port = 8120
		}
		proxyImage := cfg.Get("proxyImage")
		if proxyImage == "" {
			proxyImage = "nginx:1.28.0"
		}
		edge, err := bluegreen.NewProxy(ctx, stack+"-edge", &bluegreen.ProxyArgs{
			PublicPort: pulumi.Float64(float64(port)),
			HttpsPort:  pulumi.Float64(float64(port + 3)),
			Image:      pulumi.String(proxyImage),
		})
		if err != nil {
			return err
		}
		// An app on its own host name, released by its own config keys (apiLiveColor, apiGreenImage, ...).
		app := func(name, host string, previewPort int) (*bluegreen.App, error) {
			live := cfg.Get(name + "LiveColor")
			if live == "" {
				live = "blue"
			}
			return bluegreen.NewApp(ctx, fmt.Sprintf("%s-%s", stack, name), &bluegreen.AppArgs{
				Proxy:      &bluegreen.ProxyRefArgs{Urn: edge.URN().ToStringOutput()},
				Hosts:      pulumi.StringArray{pulumi.String(host)},
				LiveColor:  bluegreen.Color(live),
				BlueImage:  pulumi.String(cfg.Require(name + "BlueImage")),
				GreenImage: pulumi.String(cfg.Require(name + "GreenImage")),
				BluePort:   pulumi.Float64(float64(previewPort)),
				GreenPort:  pulumi.Float64(float64(previewPort + 1)),
			})
		}
		api, err := app("api", "api.example.test", port+1)
		if err != nil {
			return err
		}
		web, err := app("web", "www.example.test", port+4)
		if err != nil {
			return err
		}
		ctx.Export("url", edge.Url)
		ctx.Export("apiLiveColor", api.LiveColor)
		ctx.Export("webLiveColor", web.LiveColor)
		return nil
	})
}
