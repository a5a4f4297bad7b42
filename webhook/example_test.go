package webhook_test

import (
	"fmt"
	"net/http"
	"time"

	"github.com/ordohq/ordo/webhook"
)

func Example() {
	key, _ := webhook.ParseSecret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
	body := []byte(`{"test": 2432232314}`)
	sent := time.Unix(1614265330, 0)
	h := http.Header{}
	webhook.SetHeaders(h, key, "msg_p5jXN8AQM9LWM0D4loKWxJek", sent, body)
	fmt.Println(h.Get(webhook.HeaderSignature))
	fmt.Println(webhook.Verify(key, h, body, 0, sent.Add(time.Minute)))
	// Output:
	// v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=
	// <nil>
}
