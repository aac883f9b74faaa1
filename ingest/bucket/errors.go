package bucket

import (
	"errors"
	"fmt"
	"net"
	"net/http"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/smithy-go"
)

// Error is a failed request to the bucket, named and explained.
type Error struct {
	Bucket  string
	Op      string // what was being done: "listing s3://b/p", "reading k"
	Err     error
	Listing bool // the listing failed: the source as a whole
}

func (e *Error) Error() string {
	return fmt.Sprintf("bucket %s: %s: %s", e.Bucket, e.Op, e.describe())
}

func (e *Error) Unwrap() error { return e.Err }

func (e *Error) code() (string, int) {
	var api smithy.APIError
	code := ""
	if errors.As(e.Err, &api) {
		code = api.ErrorCode()
	}
	status := 0
	var re *awshttp.ResponseError
	if errors.As(e.Err, &re) {
		status = re.HTTPStatusCode()
	}
	return code, status
}

// describe says what went wrong in words, without the SDK's request dump.
func (e *Error) describe() string {
	code, status := e.code()
	var api smithy.APIError
	switch {
	case code == "NoSuchBucket":
		return "the bucket does not exist"
	case code == "AccessDenied" || status == http.StatusForbidden:
		return "access denied"
	case code == "PermanentRedirect" || code == "AuthorizationHeaderMalformed" || status == http.StatusMovedPermanently:
		return "the bucket is in another region"
	case code == "InvalidAccessKeyId" || code == "SignatureDoesNotMatch":
		return "the credentials were refused (" + code + ")"
	case code == "PreconditionFailed" || status == http.StatusPreconditionFailed:
		return "the object changed since it was listed"
	case code == "NoSuchKey":
		return "the object is gone"
	case errors.As(e.Err, &api):
		return fmt.Sprintf("%s: %s", api.ErrorCode(), api.ErrorMessage())
	}
	var op *net.OpError
	if errors.As(e.Err, &op) {
		return "the endpoint cannot be reached: " + op.Err.Error()
	}
	return e.Err.Error()
}

// Hint says what to do.
func (e *Error) Hint() string {
	code, status := e.code()
	var op *net.OpError
	switch {
	case code == "NoSuchBucket":
		return "check the bucket name, and the endpoint for an S3-compatible store"
	case code == "AccessDenied" || status == http.StatusForbidden || code == "InvalidAccessKeyId" || code == "SignatureDoesNotMatch":
		return "check the credentials (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, the profile, or the instance role) and that they allow s3:ListBucket and s3:GetObject on this bucket"
	case code == "PermanentRedirect" || code == "AuthorizationHeaderMalformed" || status == http.StatusMovedPermanently:
		return "set region: to the bucket's region"
	case code == "PreconditionFailed" || code == "NoSuchKey":
		return "it is sent again by the next run"
	case errors.As(e.Err, &op), status == 0 && !isAPIError(e.Err):
		return "check endpoint: and the network (for AWS, leave endpoint empty)"
	}
	return ""
}

func isAPIError(err error) bool {
	var api smithy.APIError
	return errors.As(err, &api)
}

// Fatal reports a listing refused for good (no such bucket, access
// denied, wrong region, bad credentials): the run cannot go on with this
// source. A refused object fails only its document.
func (e *Error) Fatal() bool {
	code, status := e.code()
	if !e.Listing {
		return false
	}
	switch code {
	case "NoSuchBucket", "AccessDenied", "PermanentRedirect", "AuthorizationHeaderMalformed", "InvalidAccessKeyId", "SignatureDoesNotMatch":
		return true
	}
	return status == http.StatusForbidden || status == http.StatusMovedPermanently
}

// Transient reports whether trying again may help: throttling, server
// errors, a network that may come back.
func (e *Error) Transient() bool {
	_, status := e.code()
	var op *net.OpError
	return status >= 500 || status == http.StatusTooManyRequests || (status == 0 && errors.As(e.Err, &op))
}
