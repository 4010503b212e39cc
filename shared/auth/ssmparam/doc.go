// Package ssmparam reads Shipwave's shared secrets from AWS Systems Manager
// Parameter Store (SecureString parameters, decrypted). It implements
// auth.Secrets; wrap it in an auth.Cache.
package ssmparam
