package mototest

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"
)

// Query calls an AWS query-protocol action (IAM, EC2, …) on the shared
// moto_server and returns the XML response, for setting up resources whose
// SDK module the project does not otherwise need (a role for a Lambda
// function, a VPC and subnets for a load balancer). moto routes the request
// by the service named in the credential scope; it does not check the
// signature. A non-2xx answer fails the test.
func Query(t testing.TB, service, version string, params map[string]string) string {
	t.Helper()
	form := url.Values{"Version": {version}}
	for k, v := range params {
		form.Set(k, v)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, Shared(t).URL+"/", strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	req.Header.Set("Authorization", fmt.Sprintf("AWS4-HMAC-SHA256 Credential=AKIDSHIPWAVEMOTO/%s/%s/%s/aws4_request, SignedHeaders=host, Signature=0",
		time.Now().UTC().Format("20060102"), Region, service))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("mototest: %s %s: %v", service, params["Action"], err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode/100 != 2 {
		t.Fatalf("mototest: %s %s: %s: %s", service, params["Action"], resp.Status, body)
	}
	return string(body)
}

// XMLValue returns the text of the first <tag> element of an XML answer;
// it fails the test when there is none.
func XMLValue(t testing.TB, xml, tag string) string {
	t.Helper()
	m := regexp.MustCompile("<" + regexp.QuoteMeta(tag) + ">([^<]*)</" + regexp.QuoteMeta(tag) + ">").FindStringSubmatch(xml)
	if m == nil {
		t.Fatalf("mototest: no <%s> in %s", tag, xml)
	}
	return m[1]
}

// LambdaRole creates an IAM role Lambda may assume (moto checks a
// function's role exists) and returns its ARN.
func LambdaRole(t testing.TB) string {
	t.Helper()
	doc := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}`
	out := Query(t, "iam", "2010-05-08", map[string]string{"Action": "CreateRole", "RoleName": Name(t, 64), "AssumeRolePolicyDocument": doc})
	return XMLValue(t, out, "Arn")
}
