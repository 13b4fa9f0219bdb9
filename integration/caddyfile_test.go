package integration

import (
	"testing"

	"github.com/caddyserver/caddy/v2/caddytest"
)

// A route with no way to prove its deliveries does not start, and says why.
func TestConfigWithoutSecretRefusesToStart(t *testing.T) {
	caddytest.AssertLoadError(t, globals+`
:9080 {
	biohook faceio
	respond ok
}`, "caddyfile", "no faceio secret configured")
	caddytest.AssertLoadError(t, globals+`
:9080 {
	biohook entrust {
		secret {env.BIOHOOK_TEST_UNSET_VARIABLE}
	}
	respond ok
}`, "caddyfile", "BIOHOOK_TEST_UNSET_VARIABLE")
}

// The Caddyfile and the JSON it adapts to stay as documented.
func TestAdapt(t *testing.T) {
	caddytest.AssertAdapt(t, `:8080 {
	handle /hooks/faceio {
		biohook faceio {
			secret {env.FACEIO_WEBHOOK_TOKEN}
		}
		reverse_proxy localhost:9000
	}
}`, "caddyfile", `{
	"apps": {
		"http": {
			"servers": {
				"srv0": {
					"listen": [
						":8080"
					],
					"routes": [
						{
							"match": [
								{
									"path": [
										"/hooks/faceio"
									]
								}
							],
							"handle": [
								{
									"handler": "subroute",
									"routes": [
										{
											"handle": [
												{
													"handler": "biohook",
													"vendor": {
														"name": "faceio",
														"secrets": [
															"{env.FACEIO_WEBHOOK_TOKEN}"
														]
													}
												},
												{
													"handler": "reverse_proxy",
													"upstreams": [
														{
															"dial": "localhost:9000"
														}
													]
												}
											]
										}
									]
								}
							]
						}
					]
				}
			}
		}
	}
}`)
}
