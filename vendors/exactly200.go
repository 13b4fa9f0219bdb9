package vendors

import "net/http"

// exactly200 is the acknowledgement of vendors that retry anything but a
// 200 (Veriff, Yoti, Socure, Jumio): the app's other 2xx becomes a plain
// 200, and any other answer is passed on as it is.
func exactly200(status int) (Answer, bool) {
	if status >= 200 && status < 300 && status != http.StatusOK {
		return Answer{Status: http.StatusOK}, true
	}
	return Answer{}, false
}
