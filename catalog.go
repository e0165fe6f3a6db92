package civmap

// The fixed vocabularies of the plan (docs/DOMAIN.md). Values are the Chinese terms themselves: they
// are what users read, what operators type in spreadsheets, and what the API carries.

// ContentArea is one of the seven content areas of activities (工作内容).
type ContentArea string

// ContentAreas lists the seven content areas in the plan's order.
var ContentAreas = []ContentArea{"学习实践科学理论", "宣传宣讲党的政策", "培育践行主流价值",
	"丰富活跃文化生活", "持续推进移风易俗", "倡导文明生活方式", "关爱社会弱势群体"}

// Platform is one of the eight platforms (平台) a venue or activity can belong to.
type Platform string

// Platforms lists the eight platforms in the plan's order.
var Platforms = []Platform{"理论宣讲", "志愿服务", "教育服务", "文化惠民", "创业科技", "体育健康",
	"平安法治", "网络文明"}

// NeedCategory is the kind of help a resident asks for. The categories are the eleven
// professional volunteer teams of the city 志愿服务总队 (so that a need maps to the team that
// serves it) plus 其他 (other).
type NeedCategory string

// NeedCategories lists the need categories.
var NeedCategories = []NeedCategory{"理论宣讲", "普法宣传", "生态绿色环保", "卫生健康", "科技农技",
	"教育体育", "文化艺术", "爱心帮扶", "网络文明", "扫黄打非", "文明劝导", "其他"}

func contains[T ~string](list []T, v T) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}
