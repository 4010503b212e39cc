// Package alexa is Shipwave's Alexa skill endpoint as a plain http.Handler:
// every request is verified as Alexa requires (certificate URL rules, chain,
// signature, 150-second timestamp, application id, one use per request id)
// before its intent is read. Intents deploy, report status, approve and
// roll back through chatops.Ops; the destructive ones ask the speaker to
// confirm first. Answers carry speech and a card. The interaction model is
// events/alexa-interaction-model.json.
package alexa
