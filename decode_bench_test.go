package vem

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"
)

// Decoding alone (benchmark item 3): vem's decode step (wire struct, checks,
// time parsing) beside a plain encoding/xml|json decode into a struct with
// time.Time fields, for the seed entity and a 100-entity query page.

type plainEntity struct {
	Type            string    `xml:"Type,attr" json:"Type"`
	Href            string    `xml:"Href,attr" json:"Href"`
	Name            string    `xml:"Name,attr" json:"Name"`
	UID             string    `xml:"UID,attr" json:"UID"`
	VMDisplayName   string    `xml:"VmDisplayName,attr" json:"VmDisplayName"`
	Links           []Link    `xml:"Links>Link" json:"Links"`
	JobSessionUID   string    `xml:"JobSessionUid" json:"JobSessionUid"`
	CreationTimeUTC time.Time `xml:"CreationTimeUTC" json:"CreationTimeUTC"`
	EndTimeUTC      time.Time `xml:"EndTimeUTC" json:"EndTimeUTC"`
	State           string    `xml:"State" json:"State"`
	Result          string    `xml:"Result" json:"Result"`
	Reason          string    `xml:"Reason" json:"Reason"`
	TotalSize       int64     `xml:"TotalSize" json:"TotalSize"`
	VMUID           string    `xml:"VmUid" json:"VmUid"`
}

type plainPage struct {
	Entities struct {
		BackupTaskSessions struct {
			Items []plainEntity `xml:"BackupTaskSession" json:"BackupTaskSessions"`
		} `xml:"BackupTaskSessions" json:"BackupTaskSessions"`
	} `xml:"Entities" json:"Entities"`
}

// benchBodies returns the seed entity and a 100-entity page in XML and JSON.
func benchBodies(b *testing.B) map[string][]byte {
	b.Helper()
	seedXML, err := os.ReadFile("testdata/backuptasksession.xml")
	if err != nil {
		b.Fatal(err)
	}
	seedJSON, err := os.ReadFile("testdata/backuptasksession-em12.json")
	if err != nil {
		b.Fatal(err)
	}
	// The page: the seed entity 100 times with distinct IDs.
	var w taskSessionWire
	if err := decodeWire("application/xml", seedXML, &w); err != nil {
		b.Fatal(err)
	}
	entityXML := seedXML[bytes.Index(seedXML, []byte("<BackupTaskSession ")):]
	var px, pj strings.Builder
	px.WriteString(`<QueryResult xmlns="http://www.veeam.com/ent/v1.0"><Entities><BackupTaskSessions>`)
	pj.WriteString(`{"Refs":null,"Entities":{"BackupTaskSessions":{"BackupTaskSessions":[`)
	for i := range 100 {
		id := fmt.Sprintf("88322206-a645-4aa3-9228-%012d", i)
		px.WriteString(strings.ReplaceAll(string(entityXML), "88322206-a645-4aa3-9228-028ce51e7c0f", id))
		if i > 0 {
			pj.WriteByte(',')
		}
		pj.WriteString(strings.ReplaceAll(string(seedJSON), "88322206-a645-4aa3-9228-028ce51e7c0f", id))
	}
	px.WriteString(`</BackupTaskSessions></Entities><PagingInfo PagesCount="1" PageSize="100" PageNum="1"/></QueryResult>`)
	pj.WriteString(`]}},"PagingInfo":{"Links":[],"PageNum":1,"PageSize":100,"PagesCount":1}}`)
	return map[string][]byte{"seed/xml": seedXML, "seed/json": seedJSON, "page100/xml": []byte(px.String()), "page100/json": []byte(pj.String())}
}

func BenchmarkDecode(b *testing.B) {
	bodies := benchBodies(b)
	for _, name := range []string{"seed/xml", "seed/json", "page100/xml", "page100/json"} {
		body := bodies[name]
		ct := "application/xml"
		if strings.HasSuffix(name, "json") {
			ct = "application/json"
		}
		page := strings.HasPrefix(name, "page")
		b.Run(name+"/client=plain", func(b *testing.B) {
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			for b.Loop() {
				var err error
				var v any = &plainEntity{}
				if page {
					v = &plainPage{}
				}
				if ct == "application/json" {
					err = json.Unmarshal(body, v)
				} else {
					err = xml.Unmarshal(body, v)
				}
				if err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(name+"/client=vem", func(b *testing.B) {
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			for b.Loop() {
				if page {
					p, err := taskSessions.decodePage(ct, body, 1)
					if err != nil {
						b.Fatal(err)
					}
					if len(p.items) != 100 {
						b.Fatal("short page")
					}
					continue
				}
				if _, err := taskSessions.decode(ct, body, ""); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
