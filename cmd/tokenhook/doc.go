// Command tokenhook is the token server and its command-line client.
package main
